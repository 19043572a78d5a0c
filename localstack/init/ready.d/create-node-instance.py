# Creates (once) the EC2 instance that plays the Kubernetes node in the local environment,
# and prints its id. The same file serves both emulators:
#   - LocalStack runs it as a READY init hook (mounted into /etc/localstack/init/ready.d),
#     inside its own Python, where boto3 is available;
#   - localstack/moto-server.sh and scripts/local-env.sh run it with the project's moto
#     virtualenv (.venv-moto/bin/python), whose moto depends on boto3.
# Settings (environment): EC2_ENDPOINT (default http://localhost:4566), AWS_REGION
# (us-east-1), EBS_LOCAL_ZONE (<region>a), EBS_LOCAL_INSTANCE_TYPE (m5.large).
# Idempotent: an instance tagged ebs-csi-local/role=node that is pending or running is reused.
import os
import sys
import time

import boto3

ROLE_TAG = "ebs-csi-local/role"
ROLE_VALUE = "node"


def log(message):
    sys.stderr.write(f"create-node-instance: {message}\n")


def client():
    region = os.environ.get("AWS_REGION") or "us-east-1"
    return boto3.client(
        "ec2",
        endpoint_url=os.environ.get("EC2_ENDPOINT") or "http://localhost:4566",
        region_name=region,
        # The emulator accepts any key; never send real credentials to a local endpoint.
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ), region


def existing_node(ec2):
    found = ec2.describe_instances(Filters=[
        {"Name": f"tag:{ROLE_TAG}", "Values": [ROLE_VALUE]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
    ])
    for reservation in found.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            return instance["InstanceId"]
    return None


def linux_image(ec2):
    images = ec2.describe_images().get("Images", [])
    # Prefer a Linux x86_64 image, as an EKS node would run; any image will do otherwise.
    for image in images:
        if image.get("Platform") != "windows" and image.get("Architecture", "x86_64") == "x86_64":
            return image["ImageId"]
    if images:
        return images[0]["ImageId"]
    raise RuntimeError("the emulator offers no machine image to start the node instance from")


def wait_running(ec2, instance_id):
    for _ in range(50):
        state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
        if state == "running":
            return
        time.sleep(0.2)
    raise RuntimeError(f"instance {instance_id} did not reach 'running'")


def main():
    ec2, region = client()
    instance_id = existing_node(ec2)
    if instance_id:
        log(f"reusing node instance {instance_id}")
    else:
        zone = os.environ.get("EBS_LOCAL_ZONE") or f"{region}a"
        instance_type = os.environ.get("EBS_LOCAL_INSTANCE_TYPE") or "m5.large"
        created = ec2.run_instances(
            ImageId=linux_image(ec2), MinCount=1, MaxCount=1, InstanceType=instance_type,
            Placement={"AvailabilityZone": zone},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                {"Key": "Name", "Value": "ebs-csi-local-node"},
                {"Key": ROLE_TAG, "Value": ROLE_VALUE},
            ]}],
        )
        instance_id = created["Instances"][0]["InstanceId"]
        log(f"created node instance {instance_id} ({instance_type} in {zone})")
    wait_running(ec2, instance_id)
    print(instance_id, flush=True)


# Called unconditionally: LocalStack runs init files without the __main__ convention.
main()
