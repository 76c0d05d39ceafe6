// What page.evaluate callbacks touch in Chromium. The project's tsconfig has no DOM lib (host and
// test code run in Node), so the browser side of our e2e and bench files is typed by these few
// declarations, imported with `import type` where needed.

export interface BrowserElement {
  tagName: string;
  shadowRoot: BrowserRoot | null;
  attributes: ArrayLike<{ name: string }>;
  hasAttribute(name: string): boolean;
  outerHTML: string;
  textContent: string | null;
}

export interface BrowserRoot {
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
}

export interface BrowserDocument extends BrowserRoot {
  body: { innerText: string };
  addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
}

export interface BrowserWindow {
  dispatchEvent(event: unknown): boolean;
  [key: string]: unknown;
}
