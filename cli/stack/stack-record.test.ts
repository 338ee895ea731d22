import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demux } from './containers.js';
import { generateCredentials } from './credentials.js';
import { dockerTarget, noDockerParagraph } from './docker.js';
import { listStackRecordIds, readStackRecord, removeStackRecord, stackRecordPath, writeStackRecord, type StackRecord } from './stack-record.js';

const saved = process.env.EVENTFLOW_HOME;
afterEach(() => {
  if (saved === undefined) delete process.env.EVENTFLOW_HOME;
  else process.env.EVENTFLOW_HOME = saved;
});

describe('stack record file', () => {
  it('round-trips under $EVENTFLOW_HOME/stacks/<id>.json, owner-readable only', () => {
    process.env.EVENTFLOW_HOME = mkdtempSync(join(tmpdir(), 'ef-state-'));
    const state: StackRecord = {
      version: 1,
      id: 'abc',
      imageSet: 'offline',
      nodes: 3,
      network: 'eventflow-abc',
      createdAt: new Date().toISOString(),
      credentials: generateCredentials(false),
      services: [{ name: 'postgres', group: 'db', container: 'eventflow-abc-postgres', alias: 'postgres' }],
      skipped: [],
    };
    writeStackRecord(state);
    expect(stackRecordPath('abc')).toBe(join(process.env.EVENTFLOW_HOME, 'stacks', 'abc.json'));
    expect(statSync(stackRecordPath('abc')).mode & 0o777).toBe(0o600);
    expect(readStackRecord('abc')).toEqual(state);
    expect(listStackRecordIds()).toEqual(['abc']);
    expect(removeStackRecord('abc')).toBe(true);
    expect(removeStackRecord('abc')).toBe(false);
    expect(readStackRecord('abc')).toBeUndefined();
  });
});

describe('docker helpers', () => {
  it('demultiplexes docker log frames', () => {
    const frame = (type: number, text: string): Buffer => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demux(Buffer.from('plain tty output\n'))).toBe('plain tty output\n');
  });

  it('honours DOCKER_HOST and explains a missing engine in one paragraph', () => {
    expect(dockerTarget({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).how).toBe('DOCKER_HOST=tcp://127.0.0.1:2375');
    const p = noDockerParagraph('DOCKER_HOST=unix:///x.sock', 'ENOENT');
    expect(p).not.toContain('\n');
    expect(p).toMatch(/DOCKER_HOST=unix:\/\/\/x\.sock: ENOENT/);
    expect(p).toMatch(/eventflow doctor/);
  });
});
