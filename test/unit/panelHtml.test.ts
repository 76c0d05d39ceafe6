import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../src/views/profilePanel/html.ts';

test('the panel page allows nothing by default and scripts only with its nonce', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
  assert.notEqual(makeNonce(), nonce);
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', nonce);
  const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`]);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval') && !csp.includes('http:') && !csp.includes('*'), csp);

  const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/webview.js', styleUri: 'https://x/p.css', nonce, title: '<b>"t"</b>' });
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp.replace(/'/g, '&#39;')}">`));
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.deepEqual(scripts, [`<script nonce="${nonce}" src="https://x/webview.js">`]);
  assert.ok(html.includes('<title>&#60;b&#62;&#34;t&#34;&#60;/b&#62;</title>'), 'the title is escaped');
  assert.ok(!/<style\b|style="/.test(html), 'no inline styles');
});
