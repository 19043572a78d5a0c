import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderText } from '../../../src/logger.js';
import { parseHttpEndpoint } from '../../../src/metrics/http.js';
import { prepareSocket, socketPathOf } from '../../../src/server/endpoint.js';
import { parseTagList } from '../../../src/tags.js';

describe('endpoint', () => {
  it('accepts unix:// and bare absolute paths, refuses relative ones', () => {
    assert.equal(socketPathOf('unix:///csi/csi.sock'), '/csi/csi.sock');
    assert.equal(socketPathOf('/csi/csi.sock'), '/csi/csi.sock');
    assert.equal(socketPathOf('unix:/csi/csi.sock'), '/csi/csi.sock', 'the reference chart\'s node form');
    assert.throws(() => socketPathOf('unix://csi.sock'), /absolute/);
  });

  it('removes a stale socket left by a killed process, but refuses to replace a regular file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ep-'));
    const sock = join(dir, 'csi.sock');
    // A process killed with SIGKILL cannot unlink its socket: exactly the leftover we must handle.
    const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", sock]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(lstatSync(sock).isSocket(), 'the killed process left its socket behind');
    await prepareSocket(sock);
    assert.equal(existsSync(sock), false);
    writeFileSync(join(dir, 'plain'), 'x');
    await assert.rejects(prepareSocket(join(dir, 'plain')), /not a socket/);
  });
});

describe('metrics endpoint address', () => {
  it('parses host:port, :port and [v6]:port', () => {
    assert.deepEqual(parseHttpEndpoint('127.0.0.1:3301'), { host: '127.0.0.1', port: 3301 });
    assert.deepEqual(parseHttpEndpoint(':3301'), { host: '0.0.0.0', port: 3301 });
    assert.deepEqual(parseHttpEndpoint('[::1]:8080'), { host: '::1', port: 8080 });
    assert.throws(() => parseHttpEndpoint('localhost'), /host\]:port/);
    assert.throws(() => parseHttpEndpoint(':70000'), /host\]:port/);
  });
});

describe('text log format', () => {
  it('renders level, message and fields on one line', () => {
    const line = renderText(JSON.stringify({ level: 30, time: 0, msg: 'rpc ok', rpc: 'Controller.CreateVolume', ms: 12, note: 'two words' }));
    assert.equal(line, '1970-01-01T00:00:00.000Z INFO rpc ok rpc=Controller.CreateVolume ms=12 note="two words"');
  });
});

describe('tag lists', () => {
  it('parses key=value pairs, trims, and allows = in values', () => {
    assert.deepEqual(parseTagList(' a=1 , b=x=y ,'), { a: '1', b: 'x=y' });
    assert.deepEqual(parseTagList(''), {});
  });
  it('refuses reserved and malformed keys', () => {
    assert.throws(() => parseTagList('kubernetes.io/x=1'), /reserved/);
    assert.throws(() => parseTagList('aws:x=1'), /aws:/);
    assert.throws(() => parseTagList('=1'), /key=value/);
    assert.throws(() => parseTagList(`${'k'.repeat(129)}=1`), /longer than 128/);
  });
});
