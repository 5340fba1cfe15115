// The output console. Lines arrive by the thousand, so it writes the DOM itself, once
// per animation frame, keeps at most MAX_LINES lines on the page, and follows the output
// only while the reader is at the bottom.
import { useEffect, useRef, useState } from 'preact/hooks';
import { AnsiUp } from 'ansi_up';

const MAX_LINES = 5000;

export type LineKind = 'stdout' | 'stderr' | 'notice' | 'error';

export class ConsoleModel {
  private pending: { kind: LineKind; text: string }[] = [];
  private frame = 0;
  private shown = 0;
  private dropped = 0;
  private ansi = [new AnsiUp(), new AnsiUp()]; // colour state of stdout and stderr
  private droppedNote: HTMLElement | null = null;
  follow = true;
  onFollowChange: (follow: boolean) => void = () => {};

  constructor(private el: HTMLElement) {
    for (const a of this.ansi) a.use_classes = true;
    el.addEventListener('scroll', () => {
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      if (atBottom !== this.follow) {
        this.follow = atBottom;
        this.onFollowChange(atBottom);
      }
    });
  }

  clear() {
    this.pending = [];
    this.el.replaceChildren();
    this.shown = 0;
    this.dropped = 0;
    this.droppedNote = null;
    this.ansi = [new AnsiUp(), new AnsiUp()];
    for (const a of this.ansi) a.use_classes = true;
    this.follow = true;
    this.onFollowChange(true);
  }

  append(kind: LineKind, text: string) {
    this.pending.push({ kind, text });
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  scrollToEnd() {
    this.follow = true;
    this.onFollowChange(true);
    this.el.scrollTop = this.el.scrollHeight;
  }

  private flush() {
    this.frame = 0;
    const batch = this.pending;
    this.pending = [];
    const frag = document.createDocumentFragment();
    for (const { kind, text } of batch) {
      const line = document.createElement('div');
      line.className = 'line k-' + kind;
      if (kind === 'stdout' || kind === 'stderr') {
        line.dataset.stream = kind;
        if (text.includes('\x1b[')) line.innerHTML = this.ansi[kind === 'stdout' ? 0 : 1].ansi_to_html(text);
        else line.textContent = text;
      } else {
        line.textContent = text;
      }
      frag.appendChild(line);
    }
    this.el.appendChild(frag);
    this.shown += batch.length;
    if (this.shown > MAX_LINES) {
      const excess = this.shown - MAX_LINES;
      let first = this.droppedNote ? this.droppedNote.nextElementSibling : this.el.firstElementChild;
      for (let i = 0; i < excess && first; i++) {
        const next = first.nextElementSibling;
        first.remove();
        first = next;
      }
      this.shown = MAX_LINES;
      this.dropped += excess;
      if (!this.droppedNote) {
        this.droppedNote = document.createElement('div');
        this.droppedNote.className = 'line k-dropped';
        this.el.prepend(this.droppedNote);
      }
      this.droppedNote.textContent = `… ${this.dropped.toLocaleString()} earlier lines not shown (the run's history has them all)`;
    }
    if (this.follow) this.el.scrollTop = this.el.scrollHeight;
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
