// A Go environment for the source fetcher's tests: sum.golang.org, everything else empty, plus what a test sets.
import type { GoFetchEnv } from '../../../src/source/goEnv.ts';

export function goFetchEnv(set: Partial<GoFetchEnv>): GoFetchEnv {
  return {
    GOPROXY: '',
    GONOPROXY: '',
    GOPRIVATE: '',
    GOSUMDB: 'sum.golang.org',
    GONOSUMDB: '',
    GOFLAGS: '',
    GOINSECURE: '',
    GOMODCACHE: '',
    GOROOT: '',
    GOVERSION: '',
    goBin: '',
    ...set,
  };
}
