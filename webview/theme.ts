// Reads the VS Code theme's colours from the CSS variables VS Code sets on the webview's <html>.
import { parseColor, type Rgb, type Theme } from './flame/colors.ts';

function read(style: CSSStyleDeclaration, name: string, fallback: string): Rgb {
  return parseColor(style.getPropertyValue(name)) ?? parseColor(fallback)!;
}

export function readTheme(): Theme {
  const s = getComputedStyle(document.documentElement);
  const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const border = parseColor(s.getPropertyValue('--vscode-contrastBorder'));
  return {
    background: read(s, '--vscode-editor-background', '#1e1e1e'),
    foreground: read(s, '--vscode-editor-foreground', '#cccccc'),
    charts: [
      read(s, '--vscode-charts-red', '#f14c4c'),
      read(s, '--vscode-charts-blue', '#3794ff'),
      read(s, '--vscode-charts-yellow', '#cca700'),
      read(s, '--vscode-charts-orange', '#d18616'),
      read(s, '--vscode-charts-green', '#89d185'),
      read(s, '--vscode-charts-purple', '#b180d7'),
    ],
    grow: read(s, '--vscode-charts-red', '#f14c4c'),
    shrink: read(s, '--vscode-charts-green', '#89d185'),
    highlight: read(s, '--vscode-editor-findMatchBackground', '#515c6a'),
    focusBorder: read(s, '--vscode-focusBorder', '#007fd4'),
    contrastBorder: hc ? (border ?? parseColor('#6fc3df')) : undefined,
    fontFamily: s.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif',
  };
}

/** Calls `onChange` when VS Code switches theme (it rewrites the body's class and the variables). */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
