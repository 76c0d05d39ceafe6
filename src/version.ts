// The tool's version as a bundle's manifest records it; test/unit/bundle.test.ts checks it equals package.json's.
export const TOOL_VERSION = '0.1.0';
