/** What is wrong with an input, for callers that react differently (e.g. offer `goroutines`). */
export type ProfileErrorKind =
  | 'empty'
  | 'html'
  | 'goroutine-dump'
  | 'text'
  | 'truncated-gzip'
  | 'bad-gzip'
  | 'too-large'
  | 'not-protobuf'
  | 'invalid-profile'
  | 'not-goroutine-dump'
  | 'bad-option';

/**
 * The one error the model throws for bad input or options. `message` is a single sentence that
 * says what the input is and what was expected, fit to show to a user as is.
 */
export class ProfileError extends Error {
  readonly kind: ProfileErrorKind;

  constructor(kind: ProfileErrorKind, message: string) {
    super(message);
    this.name = 'ProfileError';
    this.kind = kind;
  }
}
