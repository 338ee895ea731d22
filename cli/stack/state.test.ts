import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demux } from './containers.js';
import { generateCredentials } from './credentials.js';
import { dockerTarget, noDockerParagraph } from './docker.js';
import { listStateIds, readState, removeState, statePath, writeState, type StackState } from './state.js';

const saved = process.env.EVENTFLOW_HOME;
afterEach(() => {
  if (saved === undefined) delete process.env.EVENTFLOW_HOME;
  else process.env.EVENTFLOW_HOME = saved;
});

describe('stack state file', () => {
  it('round-trips under $EVENTFLOW_HOME/stacks/<id>.json, owner-readable only', () => {
    process.env.EVENTFLOW_HOME = mkdtempSync(join(tmpdir(), 'ef-state-'));
    const state: StackState = {
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
    writeState(state);
    expect(statePath('abc')).toBe(join(process.env.EVENTFLOW_HOME, 'stacks', 'abc.json'));
    expect(statSync(statePath('abc')).mode & 0o777).toBe(0o600);
    expect(readState('abc')).toEqual(state);
    expect(listStateIds()).toEqual(['abc']);
    expect(removeState('abc')).toBe(true);
    expect(removeState('abc')).toBe(false);
    expect(readState('abc')).toBeUndefined();
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
