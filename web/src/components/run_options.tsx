// The options of the next run: the program's arguments and its limits (wall time, CPU
// time, memory), with the defaults it gets and the maxima the server allows beside each
// field. Empty fields keep the defaults; the server holds every value to the maxima.
import { Limits, RunLimits, RunOptions } from '../api';

export interface RunSettings {
  args: string; // as typed: words, "quoted words" kept together
  wall: string; // seconds
  time: string; // seconds
  memory: string; // MiB
}

export const NO_RUN_SETTINGS: RunSettings = { args: '', wall: '', time: '', memory: '' };

// Splits a command line into words as a shell would for plain words and quotes ('' and
// ""), without expanding anything.
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function msOf(duration: string): number {
  return Number(duration.replace(/ms$/, ''));
}

export function durationText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000 || ms % 60000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${ms / 60000} min`;
}

export function mibText(bytes: number): string {
  return `${Math.round(bytes / (1 << 20))} MiB`;
}

// The request's options from what was typed (the interactive flag is the caller's).
export function runOptionsFrom(s: RunSettings): RunOptions {
  const options: RunOptions = {};
  const args = splitArgs(s.args);
  if (args.length) options.args = args;
  const limits: NonNullable<RunOptions['limits']> = {};
  if (s.wall.trim()) limits.wall = `${Number(s.wall)}s`;
  if (s.time.trim()) limits.time = `${Number(s.time)}s`;
  if (s.memory.trim()) limits.memory = `${Number(s.memory)}M`;
  if (Object.keys(limits).length) options.limits = limits;
  return options;
}

// What is wrong with the typed values ("" when nothing).
export function runSettingsProblem(s: RunSettings, max: Limits | undefined): string {
  const number = (v: string) => (v.trim() === '' ? null : Number(v));
  const wall = number(s.wall), time = number(s.time), memory = number(s.memory);
  for (const [name, v] of [['Wall time', wall], ['CPU time', time], ['Memory', memory]] as const) {
    if (v !== null && !(v > 0 && isFinite(v))) return `${name} must be a number above 0`;
  }
  if (!max) return '';
  if (wall !== null && wall * 1000 > msOf(max.wall)) return `Wall time is at most ${durationText(msOf(max.wall))}`;
  if (time !== null && time * 1000 > msOf(max.time)) return `CPU time is at most ${durationText(msOf(max.time))}`;
  if (memory !== null && memory * (1 << 20) > max.memory) return `Memory is at most ${mibText(max.memory)}`;
  return '';
}

export function RunOptionsForm(props: {
  limits: RunLimits | null;
  value: RunSettings;
  onChange: (v: RunSettings) => void;
}) {
  const { limits, value } = props;
  const set = (field: keyof RunSettings) => (e: Event) =>
    props.onChange({ ...value, [field]: (e.currentTarget as HTMLInputElement).value });
  const problem = runSettingsProblem(value, limits?.max);
  const field = (name: keyof RunSettings, label: string, unit: string, placeholder: string, max: string) => (
    <label class="run-option">
      <span>{label}</span>
      <span class="with-unit">
        <input
          type="number"
          min="0"
          step="any"
          inputMode="decimal"
          aria-label={`${label} (${unit})`}
          value={value[name]}
          placeholder={placeholder}
          onInput={set(name)}
        />
        <span class="unit">{unit}</span>
      </span>
      <span class="muted small">{max}</span>
    </label>
  );
  const wallDefault = limits ? msOf(limits.interactive.wall) / 1000 : NaN;
  return (
    <div class="run-options" data-testid="run-options">
      <label class="run-option args">
        <span>Arguments</span>
        <input
          aria-label="Program arguments"
          placeholder='e.g. --count 3 "two words"'
          value={value.args}
          onInput={set('args')}
          spellcheck={false}
        />
      </label>
      {limits ? (
        <div class="run-option-limits">
          {field('wall', 'Wall time', 's', String(wallDefault), `default ${durationText(msOf(limits.interactive.wall))} · max ${durationText(msOf(limits.max.wall))}`)}
          {field('time', 'CPU time', 's', String(msOf(limits.run.time) / 1000), `default ${durationText(msOf(limits.run.time))} · max ${durationText(msOf(limits.max.time))}`)}
          {field('memory', 'Memory', 'MiB', String(Math.round(limits.run.memory / (1 << 20))), `default ${mibText(limits.run.memory)} · max ${mibText(limits.max.memory)}`)}
        </div>
      ) : (
        <p class="muted small">Loading the limits…</p>
      )}
      {limits && limits.idle_ms > 0 && (
        <p class="muted small" data-testid="idle-note">
          A run that waits with no input and no output for {durationText(limits.idle_ms)} is stopped.
        </p>
      )}
      {problem && (
        <p class="error small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
