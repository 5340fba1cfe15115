// The output console. Lines arrive by the thousand, so it writes the DOM itself, once
// per animation frame, keeps at most MAX_LINES lines on the page while it follows the
// output (more while the reader looks back), and follows the output only while the
// reader is at the bottom. The run's whole log stays reachable: earlier lines page back
// in from the server, and the whole log downloads as a text file.
import { useEffect, useRef, useState } from 'preact/hooks';
import { AnsiUp } from 'ansi_up';

export const MAX_LINES = 5000;
const MAX_LINES_READING = 4 * MAX_LINES; // while scrolled up: room for pages brought back
const PAGE = 1000; // lines brought back per "Show earlier lines"

export type LineKind = 'stdout' | 'stderr' | 'notice' | 'error' | 'result' | 'result-error'; // result: a run's end

export interface LogLine {
  seq: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

// Where the shown run's log can be read again: entries with after < seq, at most `limit`.
export interface LogSource {
  name: string; // for the downloaded file's name
  page: (after: number, limit: number) => Promise<{ entries: LogLine[]; next: number; done: boolean }>;
}

// A line as a terminal shows it: each carriage return goes back to the line's start and
// what follows overwrites what was there ("50%\r100%" shows "100%").
export function overstrike(text: string): string {
  if (!text.includes('\r')) return text;
  let shown = '';
  for (const part of text.split('\r')) shown = part + shown.slice(part.length);
  return shown;
}

// A place in a file that a compiler or a traceback names: `File "main.py", line 3`
// (Python), `main.go:5:2`, `Main.java:3`, `main.c:4:5`, `--> src/main.rs:2:5`,
// `(/box/main.js:3:7)`.
export interface FileSpot {
  start: number; // where the mention is in the text
  end: number;
  file: string; // as written
  line: number;
  col?: number;
}

const PYTHON_SPOT = /File "([^"\n]+)", line (\d+)/g;
const COLON_SPOT = /(?<![\w.\/-])(\/?(?:[\w.-]+\/)*[\w.-]*\w\.[A-Za-z]\w*):(\d+)(?::(\d+))?/g;

export function findFileSpots(text: string): FileSpot[] {
  const spots: FileSpot[] = [];
  if (!text.includes(':') && !text.includes('line ')) return spots;
  for (const m of text.matchAll(PYTHON_SPOT)) {
    spots.push({ start: m.index!, end: m.index! + m[0].length, file: m[1], line: Number(m[2]) });
  }
  for (const m of text.matchAll(COLON_SPOT)) {
    const start = m.index!;
    if (spots.some((s) => start < s.end && s.start < start + m[0].length)) continue;
    spots.push({ start, end: start + m[0].length, file: m[1], line: Number(m[2]), col: m[3] ? Number(m[3]) : undefined });
  }
  return spots.filter((s) => s.line > 0).sort((a, b) => a.start - b.start);
}

// The project file a mention means: the same path, else the longest project path it
// ends with (a sandbox's /box/src/main.rs is src/main.rs); null when none.
export function resolveSpotFile(file: string, files: readonly string[]): string | null {
  const clean = file.replace(/^\.\//, '');
  if (files.includes(clean)) return clean;
  let best: string | null = null;
  for (const f of files) {
    if ((clean.endsWith('/' + f) || clean === f) && (!best || f.length > best.length)) best = f;
  }
  return best;
}

// Where console mentions of files lead: the project's files, and what opens one.
export interface FileLinks {
  files: () => readonly string[];
  open: (path: string, line: number, col?: number) => void;
}

// Turns the mentions of project files in `el`'s text into links (text nodes only, so
// colours from ANSI codes stay).
function linkSpots(el: HTMLElement, links: FileLinks) {
  const files = links.files();
  if (!files.length) return;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  for (const node of nodes) {
    const text = node.data;
    const spots = findFileSpots(text)
      .map((s) => ({ ...s, path: resolveSpotFile(s.file, files) }))
      .filter((s) => s.path);
    if (!spots.length) continue;
    const frag = document.createDocumentFragment();
    let at = 0;
    for (const s of spots) {
      if (s.start > at) frag.appendChild(document.createTextNode(text.slice(at, s.start)));
      const a = document.createElement('a');
      a.className = 'file-spot';
      a.href = '#';
      a.textContent = text.slice(s.start, s.end);
      a.title = `Open ${s.path} at line ${s.line}${s.col ? `, column ${s.col}` : ''}`;
      a.dataset.path = s.path!;
      a.dataset.line = String(s.line);
      if (s.col) a.dataset.col = String(s.col);
      frag.appendChild(a);
      at = s.end;
    }
    if (at < text.length) frag.appendChild(document.createTextNode(text.slice(at)));
    node.replaceWith(frag);
  }
}

const newAnsi = () => {
  const a = new AnsiUp();
  a.use_classes = true;
  return a;
};

export class ConsoleModel {
  private pending: { kind: LineKind; text: string; seq?: number; partial?: boolean }[] = [];
  // Each stream's unfinished last line (a prompt), shown until its entry arrives and
  // takes its place.
  private partials = new Map<string, HTMLElement>();
  private frame = 0;
  private shown = 0;
  private dropped = 0; // lines taken off the top
  private ansi = [newAnsi(), newAnsi()]; // colour state of stdout and stderr
  private note: HTMLElement | null = null;
  private noteText: HTMLElement | null = null;
  private autoTop = 0; // where the last automatic scroll put the view
  private source: LogSource | null = null;
  private loadingEarlier = false;
  follow = true;
  // Mentions of the project's files become links that open them (null: plain text).
  links: FileLinks | null = null;
  onFollowChange: (follow: boolean) => void = () => {};
  onSourceChange: (hasSource: boolean) => void = () => {};

  constructor(private el: HTMLElement) {
    el.addEventListener('click', (e) => {
      const a = (e.target as HTMLElement).closest?.('a.file-spot') as HTMLAnchorElement | null;
      if (!a || !this.links) return;
      e.preventDefault();
      const col = a.dataset.col ? Number(a.dataset.col) : undefined;
      this.links.open(a.dataset.path!, Number(a.dataset.line), col);
    });
    el.addEventListener('scroll', () => {
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      // Not at the bottom, yet not above where the console last scrolled itself: output
      // grew (or the box changed size) in between, and the reader has not scrolled up.
      if (!atBottom && this.follow && el.scrollTop >= this.autoTop - 2) return;
      this.setFollow(atBottom);
    });
  }

  private setFollow(follow: boolean) {
    if (follow === this.follow) return;
    this.follow = follow;
    this.onFollowChange(follow);
  }

  // The run whose log this is (null: lines from nowhere to page back to).
  setSource(source: LogSource | null) {
    this.source = source;
    this.onSourceChange(!!source);
    this.updateNote();
  }

  clear() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.pending = [];
    this.partials.clear();
    this.el.replaceChildren();
    this.shown = 0;
    this.dropped = 0;
    this.note = null;
    this.noteText = null;
    this.source = null;
    this.onSourceChange(false);
    this.ansi = [newAnsi(), newAnsi()];
    this.autoTop = 0;
    this.setFollow(true);
  }

  append(kind: LineKind, text: string, seq?: number) {
    this.pending.push({ kind, text, seq });
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  // The stream's unfinished line as it stands ("" once it has none).
  setPartial(stream: 'stdout' | 'stderr', text: string) {
    this.pending.push({ kind: stream, text, partial: true });
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  scrollToEnd() {
    this.setFollow(true);
    this.trim(MAX_LINES);
    this.toBottom();
  }

  private toBottom() {
    this.el.scrollTop = this.el.scrollHeight;
    this.autoTop = this.el.scrollTop;
  }

  private line(kind: LineKind, text: string, seq: number | undefined, ansi: AnsiUp[]): HTMLElement {
    const line = document.createElement('div');
    line.className = 'line k-' + kind;
    if (seq !== undefined) line.dataset.seq = String(seq);
    if (kind === 'stdout' || kind === 'stderr') {
      line.dataset.stream = kind;
      const a = ansi[kind === 'stdout' ? 0 : 1];
      if (text.includes('\x1b[')) {
        // Each part after a carriage return redraws the line; the colours carry over.
        let html = '';
        for (const part of text.split('\r')) {
          const h = a.ansi_to_html(part);
          if (part) html = h;
        }
        line.innerHTML = html;
      } else {
        line.textContent = overstrike(text);
      }
      if (this.links) linkSpots(line, this.links);
    } else {
      line.textContent = text;
      if (kind.startsWith('result')) line.dataset.testid = 'run-result';
    }
    return line;
  }

  private flush() {
    this.frame = 0;
    const batch = this.pending;
    this.pending = [];
    let frag = document.createDocumentFragment();
    const put = () => {
      this.el.appendChild(frag);
      frag = document.createDocumentFragment();
    };
    let added = 0;
    for (const { kind, text, seq, partial } of batch) {
      const open = this.partials.get(kind);
      if (partial) {
        // Drawn with its own colour state: the entry it becomes draws it again.
        const el = text ? this.line(kind, text, undefined, [newAnsi(), newAnsi()]) : null;
        el?.classList.add('partial');
        if (open && el) open.replaceWith(el);
        else if (open) open.remove();
        else if (el) {
          put();
          this.el.appendChild(el);
        }
        if (el) this.partials.set(kind, el);
        else this.partials.delete(kind);
        continue;
      }
      const el = this.line(kind, text, seq, this.ansi);
      added++;
      if (open) {
        // The line the partial showed has ended: it takes the partial's place, before
        // anything shown after it (the answer typed to a prompt).
        put();
        open.replaceWith(el);
        this.partials.delete(kind);
      } else {
        frag.appendChild(el);
      }
    }
    put();
    this.shown += added;
    if (this.shown > (this.follow ? MAX_LINES : MAX_LINES_READING)) this.trim(this.follow ? MAX_LINES : MAX_LINES_READING);
    else if (!this.note && this.dropped === 0 && this.source) this.updateNote(); // a console joined mid-run
    if (this.follow) this.toBottom();
  }

  // Takes lines off the top beyond `max`; the view stays on what the reader looks at.
  private trim(max: number) {
    if (this.shown <= max) return;
    const excess = this.shown - max;
    const before = this.el.scrollHeight;
    let first = this.note ? this.note.nextElementSibling : this.el.firstElementChild;
    for (let i = 0; i < excess && first; i++) {
      const next = first.nextElementSibling;
      first.remove();
      first = next;
    }
    this.shown = max;
    this.dropped += excess;
    if (!this.follow) this.el.scrollTop -= before - this.el.scrollHeight;
    this.updateNote();
  }

  // The seq of the first output line shown (0: none has one).
  private firstSeq(): number {
    const first = this.el.querySelector<HTMLElement>('.line[data-seq]');
    return first ? Number(first.dataset.seq) : 0;
  }

  private updateNote() {
    // Output lines before the first shown (notices such as the run's header that went
    // are not counted); without seqs, the lines taken off.
    const first = this.firstSeq();
    const hidden = first ? first - 1 : this.dropped;
    if (!hidden) {
      this.note?.remove();
      this.note = this.noteText = null;
      return;
    }
    if (!this.note) {
      this.note = document.createElement('div');
      this.note.className = 'line k-dropped';
      this.noteText = document.createElement('span');
      this.note.appendChild(this.noteText);
      const earlier = document.createElement('button');
      earlier.className = 'link small';
      earlier.dataset.action = 'earlier';
      earlier.textContent = 'Show earlier lines';
      earlier.onclick = () => this.showEarlier();
      this.note.append(' ', earlier);
      this.el.prepend(this.note);
    }
    for (const b of this.note.querySelectorAll('button')) b.hidden = !this.source || first <= 1;
    this.noteText!.textContent = `… ${hidden.toLocaleString()} earlier line${hidden === 1 ? '' : 's'} not shown`;
  }

  // Brings back the PAGE lines before the first one shown, above it, without moving the view.
  async showEarlier() {
    const source = this.source;
    const first = this.firstSeq();
    if (!source || first <= 1 || this.loadingEarlier) return;
    this.loadingEarlier = true;
    try {
      const from = Math.max(0, first - 1 - PAGE);
      const lines: LogLine[] = [];
      let after = from;
      while (after < first - 1) {
        const page = await source.page(after, first - 1 - after);
        for (const e of page.entries) if (e.seq < first) lines.push(e);
        if (!page.entries.length || page.next <= after) break;
        after = page.next;
      }
      if (this.source !== source || !lines.length) return;
      this.setFollow(false);
      const ansi = [newAnsi(), newAnsi()];
      const frag = document.createDocumentFragment();
      for (const e of lines) frag.appendChild(this.line(e.stream, e.text, e.seq, ansi));
      const before = this.el.scrollHeight;
      const anchor = this.note ? this.note.nextSibling : this.el.firstChild;
      this.el.insertBefore(frag, anchor);
      this.shown += lines.length;
      this.dropped = Math.max(0, this.dropped - lines.length);
      this.el.scrollTop += this.el.scrollHeight - before;
      this.updateNote();
    } catch (e) {
      this.append('error', `Could not load the earlier lines: ${(e as Error).message}`);
    } finally {
      this.loadingEarlier = false;
    }
  }

  // Reads the whole log from the server, page by page, and saves it as a text file.
  async download() {
    const source = this.source;
    if (!source) return;
    try {
      const parts: string[] = [];
      let after = 0;
      for (;;) {
        const page = await source.page(after, 10000);
        for (const e of page.entries) parts.push(e.text + '\n');
        if (page.done || !page.entries.length) break;
        after = page.next;
      }
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${source.name}.log`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      this.append('error', `Could not download the log: ${(e as Error).message}`);
    }
  }
}

export function Console(props: { model: (m: ConsoleModel) => void; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  const model = useRef<ConsoleModel | null>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    model.current = new ConsoleModel(el.current!);
    model.current.onFollowChange = setFollow;
    props.model(model.current);
  }, []);
  return (
    <div class="console-wrap">
      <div
        class="console"
        ref={el}
        role="log"
        aria-label={props.label}
        aria-live="off"
        tabIndex={0}
        data-testid="console"
      />
      {!follow && (
        <button class="jump small" onClick={() => model.current?.scrollToEnd()}>
          ↓ Latest output
        </button>
      )}
    </div>
  );
}
