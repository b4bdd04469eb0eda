// `oom-bonker calibrate` driven through a real pseudo-terminal (util-linux `script`) with the simulated servo.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../../test/helpers/child-process.ts';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import { waitUntil } from '../../test/helpers/wait.ts';
import { updateEnvText } from './calibrate.ts';

const SCRIPT = '/usr/bin/script';
const children: ChildProcess[] = [];
const temps: { remove(): Promise<void> }[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(temps.splice(0).map((t) => t.remove()));
});

const ORIGINAL = '# my Pi\nBONKER_DEVICE_ID=tux\nBONKER_SERVO_REST_US=1500\nBONKER_BROKER_URL=mqtt://broker:1883\n';

/** `oom-bonker calibrate` on a pty; `screen` is everything it printed, `sawLine` waits for a line to appear. */
async function startOnPty(env: Record<string, string> = {}) {
  const temp = await makeTempDir('bonker-calibrate-');
  temps.push(temp);
  const file = path.join(temp.path, 'device.env');
  await writeFile(file, ORIGINAL);
  const command = `'${process.execPath}' '${BIN}' calibrate --settings-file '${file}' --step 10`;
  const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: temp.path, TERM: 'xterm', BONKER_SERVO_DRIVER: 'simulated',
      BONKER_SERVO_TRAVEL_MS: '5', BONKER_LOG_LEVEL: 'debug', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const events = new EventEmitter();
  let screen = '';
  const onData = (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    events.emit('output');
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const sawLine = async (pattern: RegExp) => {
    await waitUntil(events, 'output', () => pattern.test(screen), 10_000);
  };
  /** Types one key and waits for the status line it causes. */
  const press = async (key: string, status: RegExp) => {
    const before = screen.length;
    child.stdin!.write(key);
    await waitUntil(events, 'output', () => status.test(screen.slice(before)), 10_000);
  };
  const pulses = () =>
    [...screen.matchAll(/\{[^\n]*"msg":"servo pulse"\}/g)].map(([line]) => (JSON.parse(line) as { us: number }).us);
  return { file, sawLine, press, pulses, exited, screen: () => screen };
}

describe('oom-bonker calibrate', () => {
  it('moves with arrows and +/-, marks rest, strike and hold, test-bonks, and writes only those lines', async () => {
    const pty = await startOnPty();
    await pty.sawLine(/pulse 1500 µs {2}step 10/);
    await pty.press('-', /pulse 1490 µs/);
    await pty.press('\x1b[D', /pulse 1480 µs/);
    await pty.press('r', /rest 1480/);
    await pty.press('\x1b[A', /step 50/);
    await pty.press('\x1b[B', /step 10/);
    await pty.press('\x1b[A', /step 50/);
    for (const expected of [1430, 1380, 1330, 1280, 1230]) await pty.press('\x1b[D', new RegExp(`pulse ${expected} µs`));
    await pty.press('+', /pulse 1280 µs/);
    await pty.press('s', /strike 1280/);
    await pty.press('H', /hold 250 ms/);
    await pty.press('t', /test bonk[\s\S]*pulse 1480 µs/);
    await pty.press('w', /wrote BONKER_SERVO_REST_US=1480 BONKER_SERVO_STRIKE_US=1280 BONKER_SERVO_HOLD_MS=250/);
    expect(await pty.exited).toBe(0);
    expect(await readFile(pty.file, 'utf8')).toBe(
      '# my Pi\nBONKER_DEVICE_ID=tux\nBONKER_SERVO_REST_US=1480\nBONKER_BROKER_URL=mqtt://broker:1883\n' +
        'BONKER_SERVO_STRIKE_US=1280\nBONKER_SERVO_HOLD_MS=250\n',
    );
    // Every position reached the servo; the test bonk swung to the strike and back, then the servo went limp.
    const pulses = pty.pulses();
    expect(pulses.slice(0, 3)).toEqual([1500, 1490, 1480]);
    expect(pulses).toContain(1230);
    const bonk = pulses.lastIndexOf(1280);
    expect(pulses.slice(bonk, bonk + 3)).toEqual([1280, 1480, 0]);
    expect(pulses.at(-1)).toBe(0);
  });

  it('never moves past the hard limits', async () => {
    const pty = await startOnPty({ BONKER_SERVO_MIN_US: '1000', BONKER_SERVO_MAX_US: '1520' });
    await pty.sawLine(/hard limits 1000-1520 µs[\s\S]*pulse 1500 µs/);
    await pty.press('+', /pulse 1510 µs/);
    await pty.press('+', /pulse 1520 µs/);
    await pty.press('+', /pulse 1520 µs/);
    await pty.press('q', /$/);
    expect(await pty.exited).toBe(1);
    expect(Math.max(...pty.pulses())).toBe(1520);
  });

  it('quits on q without touching the file', async () => {
    const pty = await startOnPty();
    await pty.sawLine(/pulse 1500 µs/);
    await pty.press('s', /strike 1500/);
    pty.press('q', /$/).catch(() => {});
    expect(await pty.exited).toBe(1);
    expect(await readFile(pty.file, 'utf8')).toBe(ORIGINAL);
  });

  it('refuses to run without a terminal (exit 2)', async () => {
    const child = spawn(process.execPath, [BIN, 'calibrate', '--settings-file', '/nonexistent/device.env'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toMatch(/calibrate needs an interactive terminal/);
  });
});

describe('updateEnvText', () => {
  it('replaces the last line setting a key, appends missing keys, keeps everything else', () => {
    const text = '# c\nA=1\nB=2\nA=3\n\n';
    expect(updateEnvText(text, { A: '9', C: '7' })).toBe('# c\nA=1\nB=2\nA=9\n\nC=7\n');
    expect(updateEnvText('', { A: '1' })).toBe('A=1\n');
  });
});
