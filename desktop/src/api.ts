// The tickets API as the page calls it: every answer is either data or an ApiProblem whose `words` say what
// happened in a sentence an agent can act on (never a bare status code, never a blank page).

export interface ErrorBody {
  error?: string;
  message?: string;
  current_version?: number;
  current_status?: string;
  allowed?: string[];
  detail?: { loc: (string | number)[]; msg: string }[];
}

export class ApiProblem extends Error {
  constructor(readonly status: number, readonly body: ErrorBody, readonly words: string) {
    super(words);
  }
  get code(): string {
    return this.body.error ?? "";
  }
}

export const TIMEOUT_MS = 8000;

/** What an error answer means, in words. */
export function describe(status: number, body: ErrorBody): string {
  const message = body.message ? ` ${body.message}` : "";
  switch (status) {
    case 0:
      return "The tickets service is not answering (network or timeout). What you see may be out of date; try again in a moment.";
    case 401:
      return "Your sign-in has expired or is missing: sign in again. Nothing was changed.";
    case 403:
      return `You are not allowed to do this.${message}`;
    case 404:
      return `Not found.${message}`;
    case 409:
      if (body.error === "version_conflict") {
        return "Someone else changed this ticket since you opened it. Review what changed, then re-apply your change.";
      }
      return `This change is not allowed now.${message}${body.allowed ? ` Allowed: ${body.allowed.join(", ")}.` : ""}`;
    case 422: {
      const fields = (body.detail ?? []).map((d) => d.msg).join("; ");
      return `Please check the form: ${fields || body.message || "a field is not valid"}.`;
    }
    case 503:
      return "The tickets store is busy; try again in a few seconds. Nothing was lost.";
    default:
      return status >= 500
        ? "The tickets service had a problem on its side; try again. Nothing was changed unless the ticket says so."
        : `The request was refused (${status}).${message}`;
  }
}

export type TokenSource = () => string | null;

export class TicketsApi {
  constructor(private readonly base: string, private readonly token: TokenSource,
              private readonly onUnauthorized: () => void) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = this.token();
    if (token) headers.Authorization = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal,
        credentials: "omit",
      });
    } catch {
      throw new ApiProblem(0, {}, describe(0, {}));
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const errorBody = (parsed && typeof parsed === "object" ? parsed : {}) as ErrorBody;
      if (response.status === 401) this.onUnauthorized();
      throw new ApiProblem(response.status, errorBody, describe(response.status, errorBody));
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }
}

export interface Ticket {
  ticket_id: string;
  customer_id: string;
  subject: string;
  category: string;
  priority: number;
  status: string;
  team: string;
  agent: string | null;
  restricted: boolean;
  overdue: boolean;
  sla_due_at: string;
  version: number;
  history?: { seq: number; at: string; actor: string; action: string; note?: string | null }[];
}

export interface Hint {
  rule: string;
  kind: "hint" | "alert";
  severity: "info" | "warning" | "critical";
  text: string;
  team: string;
  at: string;
  contact_id?: string;
}

export const enc = encodeURIComponent;
