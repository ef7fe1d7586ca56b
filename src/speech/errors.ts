/**
 * The speech service's errors, answered as OpenAI's API answers them:
 * `{"error": {"message", "type", "param", "code"}}` with a 4xx or 5xx status
 * (platform.openai.com/docs/guides/error-codes). `code` is also SAM's machine-readable code.
 */

/** OpenAI's error `type`s the service uses. */
export type SpeechErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "rate_limit_error" | "server_error";

/** The body of an error answer. */
export interface OpenAiErrorBody {
  error: { message: string; type: SpeechErrorType; param: string | null; code: string };
}

/** An error a request ends with: its HTTP status and the OpenAI error object's fields. */
export class SpeechApiError extends Error {
  readonly status: number;
  readonly type: SpeechErrorType;
  readonly param: string | null;
  readonly code: string;
  /**
   * `status`: 400–599; `code`: machine-readable (`missing_file`, `invalid_audio`, ...); `param`:
   * the request field at fault, if one is. The type follows from the status (400/413/415/422:
   * invalid_request_error, 401: authentication_error, 404/405: not_found_error, 429:
   * rate_limit_error, 5xx: server_error).
   */
  constructor(status: number, code: string, message: string, param: string | null = null) {
    super(message);
    this.name = "SpeechApiError";
    this.status = status;
    this.code = code;
    this.param = param;
    this.type =
      status === 401 ? "authentication_error" : status === 404 || status === 405 ? "not_found_error" : status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  }

  /** The JSON body of this error's answer. */
  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
