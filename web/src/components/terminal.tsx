// A terminal (xterm.js) that fills its box: raw bytes in, keystrokes out. It knows
// nothing of where the bytes come from; the page wires it to a WebSocket (a workspace's
// PTY, an interactive run). The fit addon keeps its columns and rows matched to the box,
// and `onResize` reports them so the other end can resize its PTY.
import { useEffect, useRef } from 'preact/hooks';
import { Terminal as XTerm } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

// What a page holds to drive a terminal.
export interface TerminalHandle {
  // Writes output: a string (UTF-8 text) or raw bytes (split UTF-8 sequences are joined).
  write(data: string | Uint8Array): void;
  clear(): void; // the screen and the scrollback
  focus(): void;
  size(): { cols: number; rows: number };
}

export interface TerminalProps {
  // Called once the terminal exists (and with null when it goes).
  handle: (t: TerminalHandle | null) => void;
  // What the user types (keys, pastes), as the terminal encodes it.
  onData?: (data: string) => void;
  // The terminal's size in characters, at the start and after each change.
  onResize?: (cols: number, rows: number) => void;
  label: string; // for screen readers
  scrollback?: number; // lines kept above the screen (default 5000)
  fontSize?: number;
  class?: string;
}

// The terminal's colours from the page's CSS variables, so it follows the theme.
function themeFromCss(el: HTMLElement) {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--console-bg', '#111827'),
    foreground: v('--console-text', '#e5e7eb'),
    cursor: v('--console-text', '#e5e7eb'),
    selectionBackground: v('--console-selection', '#374151'),
  };
}

export function Terminal(props: TerminalProps) {
  const box = useRef<HTMLDivElement>(null);
  const callbacks = useRef(props);
  callbacks.current = props;

  useEffect(() => {
    const el = box.current!;
    const term = new XTerm({
      convertEol: false,
      cursorBlink: true,
      scrollback: props.scrollback ?? 5000,
      fontSize: props.fontSize ?? 13,
      fontFamily: getComputedStyle(el).getPropertyValue('--mono').trim() || 'monospace',
      theme: themeFromCss(el),
      screenReaderMode: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    term.textarea?.setAttribute('aria-label', props.label);
    const refit = () => {
      // A hidden box (another tab shown) has no size: keep the last fit.
      if (!el.offsetWidth || !el.offsetHeight) return;
      try {
        fit.fit();
      } catch {
        /* not laid out yet */
      }
    };
    refit();
    const data = term.onData((d) => callbacks.current.onData?.(d));
    const resize = term.onResize(({ cols, rows }) => callbacks.current.onResize?.(cols, rows));
    callbacks.current.onResize?.(term.cols, term.rows);
    const observer = new ResizeObserver(() => refit());
    observer.observe(el);
    const handle: TerminalHandle = {
      write: (d) => term.write(d),
      clear: () => term.reset(),
      focus: () => term.focus(),
      size: () => ({ cols: term.cols, rows: term.rows }),
    };
    callbacks.current.handle(handle);
    return () => {
      callbacks.current.handle(null);
      observer.disconnect();
      data.dispose();
      resize.dispose();
      term.dispose();
    };
  }, []);

  // (Not "terminal": xterm.js gives its own element that class.)
  return <div class={'term-box ' + (props.class ?? '')} ref={box} data-testid="terminal" />;
}
