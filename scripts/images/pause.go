// The sandbox process of the kubelet tests' pods (containerd's sandbox_image). It holds the
// pod's namespaces open and otherwise waits: it exits on SIGINT or SIGTERM and, should it be a
// pod's PID 1 with a shared process namespace, reaps the orphans handed to it. Built here
// because the tests may pull nothing (test/support/kubelet imports it under docker.io/local/).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("pause (ebs-csi-driver-ts tests)")
		return
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		// Reap every child that has exited; several may be behind one SIGCHLD.
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
