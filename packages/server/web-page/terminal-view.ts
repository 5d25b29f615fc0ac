import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";

export type ViewState = "connecting" | "open" | "reconnecting" | "closed" | "exited" | "error";

/** The xterm.js terminal that fills the page, the state label, and copy/paste keys. */
export class TerminalView {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly stateLabel: HTMLElement;

  constructor(container: HTMLElement, stateLabel: HTMLElement) {
    this.stateLabel = stateLabel;
    // The default DOM renderer: text stays in the DOM (readable by tests and screen readers).
    this.term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14, allowProposedApi: false });
    this.term.loadAddon(this.fit);
    this.term.open(container);
    // Ctrl-C and Ctrl-V belong to the program; Ctrl-Shift-C copies the selection and
    // Ctrl-Shift-V is left to the browser, whose paste event xterm.js turns into input.
    this.term.attachCustomKeyEventHandler((event) => {
      if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true;
      if (event.code === "KeyC") {
        const selection = this.term.getSelection();
        if (selection !== "") void navigator.clipboard?.writeText(selection).catch(() => {});
        return false;
      }
      return event.code !== "KeyV";
    });
    window.addEventListener("resize", () => this.fitToWindow());
    this.fitToWindow();
    this.term.focus();
  }

  fitToWindow(): void {
    this.fit.fit();
  }

  setState(state: ViewState, text: string = state): void {
    this.stateLabel.dataset.state = state;
    this.stateLabel.textContent = text;
  }

  /** Writes and resolves once xterm.js has parsed it. */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }
}
