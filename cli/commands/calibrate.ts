// `oom-bonker calibrate`: move the servo step by step on a terminal, mark rest and strike, test-bonk, save to the env file.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emitKeypressEvents } from 'node:readline';
import type { Env, Logger } from '../../contract/index.ts';
import { openCalibration, type Calibration } from '../../device/calibration.ts';
import { deviceEnvShape, loadDeviceConfig, type DeviceConfig } from '../../device/config.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../flags.ts';

const STEPS = [1, 5, 10, 50, 100];
const HOLD_STEP_MS = 50;
const KEYS = [
  '←/-  →/+  move by the step      ↑/↓  bigger/smaller step',
  'r  mark rest   s  mark strike   h/H  hold time -/+ 50 ms',
  't  test bonk   w  write and quit   q  quit without writing',
];

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'find the rest and strike positions interactively and save them',
  usage: `oom-bonker calibrate [--settings-file FILE] [--step US]
  --settings-file FILE  the agent's env file to read and update (default .bonker/device.env); not --env-file,
                       which Node 20 takes for itself even after the script name
  --step US        initial step in µs, one of ${STEPS.join(', ')} (default 10)`,
  settings: deviceEnvShape,
  options: ['settings-file', 'step'],
  async run({ env, options, out, logger }) {
    const file = typeof options['settings-file'] === 'string' ? options['settings-file'] : '.bonker/device.env';
    const step = Number(options.step ?? 10);
    if (!STEPS.includes(step)) throw new UsageError(`--step: expected one of ${STEPS.join(', ')}, got ${String(options.step)}`);
    if (!process.stdin.isTTY) throw new UsageError('calibrate needs an interactive terminal (run it on a TTY)');
    const original = await readFile(file, 'utf8').catch(() => '');
    // The file's values are the starting point; the environment and flags still override them.
    const config = loadDeviceConfig({ ...parseEnvText(original), ...env });
    const servo = await openCalibration(config, logger.child({ part: 'calibrate' }));
    const print = (line: string) => out(`${line}\r`);
    try {
      const result = await calibrate({ config, servo, step, print, logger });
      if (!result) return 1;
      const values = {
        BONKER_SERVO_REST_US: String(result.restUs),
        BONKER_SERVO_STRIKE_US: String(result.strikeUs),
        BONKER_SERVO_HOLD_MS: String(result.holdMs),
      };
      loadDeviceConfig({ ...parseEnvText(original), ...env, ...values });
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, updateEnvText(original, values), { mode: 0o600 });
      print(`wrote ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')} to ${file}`);
      return 0;
    } finally {
      await servo.close();
    }
  },
};

interface Marks {
  restUs: number;
  strikeUs: number;
  holdMs: number;
}

/** Runs the key loop; resolves with the marks on `w`, undefined on `q` / Ctrl-C. */
async function calibrate(deps: { config: DeviceConfig; servo: Calibration; step: number; print: (line: string) => void; logger: Logger }): Promise<Marks | undefined> {
  const { config, servo, print } = deps;
  const marks: Marks = { ...config.motion };
  let stepIndex = STEPS.indexOf(deps.step);
  let pulse = marks.restUs;
  const show = () =>
    print(`pulse ${pulse} µs  step ${STEPS[stepIndex]}  rest ${marks.restUs}  strike ${marks.strikeUs}  hold ${marks.holdMs} ms`);
  const move = async (to: number) => {
    pulse = await servo.moveTo(to);
  };
  // Raw mode first: keys typed before it would be echoed by the terminal and not reach us as keypresses.
  const keys = keypresses();
  print(`calibrating with the ${servo.driver} driver, hard limits ${servo.limits.minUs}-${servo.limits.maxUs} µs`);
  KEYS.forEach((line) => print(line));
  await move(pulse);
  show();
  const actions: Record<string, () => Promise<'done' | 'quit' | void>> = {
    left: () => move(pulse - STEPS[stepIndex]!), '-': () => move(pulse - STEPS[stepIndex]!),
    right: () => move(pulse + STEPS[stepIndex]!), '+': () => move(pulse + STEPS[stepIndex]!),
    up: async () => void (stepIndex = Math.min(STEPS.length - 1, stepIndex + 1)),
    down: async () => void (stepIndex = Math.max(0, stepIndex - 1)),
    r: async () => void (marks.restUs = pulse), s: async () => void (marks.strikeUs = pulse),
    h: async () => void (marks.holdMs = Math.max(0, marks.holdMs - HOLD_STEP_MS)),
    H: async () => void (marks.holdMs = Math.min(5_000, marks.holdMs + HOLD_STEP_MS)),
    t: async () => {
      print('test bonk');
      await servo.tryStrike(marks);
      pulse = marks.restUs;
    },
    w: async () => (marks.restUs === marks.strikeUs ? print('rest and strike are the same position; mark them apart') : 'done'),
    q: async () => 'quit',
  };
  for await (const key of keys) {
    if (key === 'C-c') return undefined;
    const action = actions[key];
    if (!action) continue;
    try {
      const outcome = await action();
      if (outcome === 'done') return marks;
      if (outcome === 'quit') return undefined;
    } catch (error) {
      print(`refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    show();
  }
  return undefined;
}

/** Key names from the terminal in raw mode: arrows as left/right/up/down, other keys as typed, Ctrl-C as C-c. */
function keypresses(): AsyncGenerator<string> {
  const stdin = process.stdin;
  emitKeypressEvents(stdin);
  stdin.setRawMode(true);
  return readKeys(stdin);
}

async function* readKeys(stdin: NodeJS.ReadStream): AsyncGenerator<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const onKey = (text: string | undefined, key: { name?: string; ctrl?: boolean; sequence?: string } = {}) => {
    const name = key.ctrl && key.name === 'c' ? 'C-c' : ['left', 'right', 'up', 'down'].includes(key.name ?? '') ? key.name! : (text ?? '');
    queue.push(name);
    wake?.();
  };
  stdin.on('keypress', onKey);
  stdin.resume();
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stdin.off('keypress', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
}

/** `KEY=value` lines of an env file; comments, blanks and other lines are ignored. */
export function parseEnvText(text: string): Env {
  const entries = text.split('\n').flatMap((line) => {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    return match ? [[match[1]!, match[2]!.trim()] as const] : [];
  });
  return Object.fromEntries(entries);
}

/** Replaces the lines setting these keys (the last one of each) and appends missing keys; every other line stays. */
export function updateEnvText(text: string, values: Record<string, string>): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  for (const [key, value] of Object.entries(values)) {
    const pattern = new RegExp(`^\\s*${key}=`);
    let at = lines.length - 1;
    while (at >= 0 && !pattern.test(lines[at]!)) at--;
    if (at === -1) lines.push(`${key}=${value}`);
    else lines[at] = `${key}=${value}`;
  }
  return `${lines.join('\n')}\n`;
}
