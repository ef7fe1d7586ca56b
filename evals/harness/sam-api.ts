/** A minimal client of SAM's HTTP API for the eval harness: JSON with a bearer token, errors thrown with the route and SAM's message. */

/** SAM at `url`, as the holder of `token`. */
export class SamHttp {
  readonly url: string;
  readonly token: string;
  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, "");
    this.token = token;
  }

  /**
   * Sends a request; returns the parsed JSON (null for an empty body), or null for a status in
   * `allow` (e.g. 404 for a deleted file).
   * @throws Error `METHOD path → status: body` for any other non-2xx answer.
   */
  async request<T>(method: string, path: string, body?: unknown, allow: number[] = []): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (allow.includes(response.status)) return null as T;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body ?? {});
  }

  /** A file of a task's workspace, or null when it does not exist (deleted). */
  async file(taskId: string, path: string): Promise<string | null> {
    const response = await fetch(`${this.url}/api/tasks/${encodeURIComponent(taskId)}/files/${path.split("/").map(encodeURIComponent).join("/")}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`GET file ${path} of ${taskId} → ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return response.text();
  }
}
