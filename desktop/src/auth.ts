// Sign-in. In AWS: the Cognito user pool's hosted UI, authorization code with PKCE; the tokens stay in this
// page's memory (never localStorage; only the one-time PKCE verifier and state live in sessionStorage across
// the redirect, and are removed on return). Locally: a stand-in identity (name, team, supervisor) that the
// local server turns into the claims the Cognito authorizer would pass, like `callcenter tickets --agent`.

export interface Identity {
  username: string;
  teams: string[];
  supervisor: boolean;
  token: string; // sent as the Authorization header (the Cognito authorizer reads the ID token there)
}

export interface Config {
  mode: "local" | "aws";
  apiBase: string;
  teams: string[];
  categories: string[];
  statuses: string[];
  tiers: string[];
  priorities: number[];
  pollSeconds: number;
  local?: { base: string };
  cognito?: { domain: string; clientId: string; redirectUri: string };
  connect?: { instanceUrl: string; region: string };
  queueFigures?: string; // URL of the per-queue contact figures, where the deployment has one
}

const TEAM_PREFIX = "team-";

export function identityFromClaims(claims: Record<string, unknown>, token: string): Identity | null {
  const username = claims["cognito:username"] ?? claims["username"];
  if (typeof username !== "string" || !username) return null;
  const groups = Array.isArray(claims["cognito:groups"]) ? (claims["cognito:groups"] as string[]) : [];
  return {
    username,
    teams: groups.filter((g) => g.startsWith(TEAM_PREFIX) && g.length > TEAM_PREFIX.length)
      .map((g) => g.slice(TEAM_PREFIX.length)),
    supervisor: groups.includes("supervisors"),
    token,
  };
}

function decodeClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const VERIFIER = "pkce-verifier";
const STATE = "pkce-state";

/** Cognito hosted UI: returns the identity when the page is the redirect back with a code, else null. */
export async function cognitoReturn(config: NonNullable<Config["cognito"]>): Promise<Identity | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return null;
  const verifier = sessionStorage.getItem(VERIFIER);
  const state = sessionStorage.getItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  history.replaceState(null, "", location.pathname);
  if (!verifier || params.get("state") !== state) throw new Error("The sign-in answer does not match this page's request: sign in again.");
  const response = await fetch(`${config.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: config.clientId, code,
                                redirect_uri: config.redirectUri, code_verifier: verifier }),
  });
  if (!response.ok) throw new Error("The sign-in could not be completed: sign in again.");
  const tokens = (await response.json()) as { id_token: string };
  return identityFromClaims(decodeClaims(tokens.id_token), tokens.id_token);
}

export async function cognitoSignIn(config: NonNullable<Config["cognito"]>): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const query = new URLSearchParams({ response_type: "code", client_id: config.clientId, redirect_uri: config.redirectUri,
                                      scope: "openid email profile", state, code_challenge_method: "S256",
                                      code_challenge: challenge });
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

/** The local stand-in: the server knows the token and passes the matching claims to the real API handler. */
export async function localSignIn(base: string, username: string, team: string, supervisor: boolean): Promise<Identity> {
  const response = await fetch(`${base}/sign-in`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, teams: team ? [team] : [], supervisor }),
  });
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? "The local sign-in was refused.");
  return { username, teams: team ? [team] : [], supervisor, token: body.token };
}
