// The customer's chat page. It never holds a Connect credential: POST /chat/start (the chat-start function)
// returns the participant token of this chat only. Locally (`callcenter desktop`) the participant service is
// a stand-in (/local/chats/{id}: the chat flow answers each message); in AWS the page talks to Connect's
// participant service with amazon-connect-chatjs (pinned in package.json, its own chunk, loaded only there).
// Messages go as typed (emoji, right-to-left text: `dir="auto"`); one over Connect's 16 KiB is sent in parts.
import { byId, el } from "./dom";

interface ChatConfig {
  mode: "local" | "aws";
  chat?: { start: string; region?: string };
  local?: { base: string };
}
interface Reply { action: string; label: string }
interface LocalAnswer { state: string; messages: { from: string; text: string }[]; replies: Reply[]; queue?: string | null }
interface Started { contact_id: string; participant_id: string; participant_token: string }

const MAX_MESSAGE_BYTES = 16_384; // functions/chat/messages.py
const encoder = new TextEncoder();

/** Consecutive parts of at most `limit` UTF-8 bytes, never inside a character (functions/chat/messages.py). */
export function splitMessage(text: string, limit = MAX_MESSAGE_BYTES): string[] {
  const parts: string[] = [];
  let current = "";
  let size = 0;
  for (const ch of text) {
    const width = encoder.encode(ch).length;
    if (size + width > limit && current) {
      parts.push(current);
      current = "";
      size = 0;
    }
    current += ch;
    size += width;
  }
  if (current) parts.push(current);
  return parts;
}

let config: ChatConfig;
let send: (text: string) => Promise<void> = async () => {};

function status(text: string): void { byId("status").textContent = text; }
function alert(text: string): void { byId("alert").textContent = text; }

function show(answer: LocalAnswer): void {
  byId("transcript").replaceChildren(...answer.messages.map((m) =>
    el("li", { class: m.from === "customer" ? "customer" : "bot", dir: "auto" }, m.text)));
  byId("replies").replaceChildren(...answer.replies.map((r) => {
    const button = el("button", { type: "button", "data-action": r.action }, r.label);
    button.addEventListener("click", () => void send(r.action));
    return button;
  }));
  const state = byId("chat-state");
  state.dataset.state = answer.state;
  state.textContent = answer.state === "queued" ? `Waiting for an agent (${answer.queue ?? "queue"}).`
    : answer.state === "ended" ? "The chat has ended." : "";
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { ...init, headers: { "Content-Type": "application/json" } });
  return { status: response.status, body: await response.json() as T };
}

async function startLocal(started: Started): Promise<void> {
  const url = `${config.local!.base}/chats/${encodeURIComponent(started.contact_id)}`;
  send = async (text: string) => {
    if (!text.trim()) { alert("The message is empty."); return; }
    alert("");
    const answer = await json<LocalAnswer & { message?: string }>(url, { method: "POST", body: JSON.stringify({ text }) });
    if (answer.status !== 200) { alert(answer.body.message ?? "The message was not sent."); return; }
    show(answer.body);
  };
  show((await json<LocalAnswer>(url)).body);
}

async function startAws(started: Started): Promise<void> {
  await import("./chatjs");
  const connect = (globalThis as any).connect;
  const session = connect.ChatSession.create({
    chatDetails: { ContactId: started.contact_id, ParticipantId: started.participant_id,
                   ParticipantToken: started.participant_token },
    options: { region: config.chat?.region }, type: connect.ChatSession.SessionTypes.CUSTOMER });
  const messages: { from: string; text: string }[] = [];
  session.onMessage((event: any) => {
    const data = event.data ?? {};
    if (data.ContentType === "text/plain" || data.ContentType === "text/markdown") {
      messages.push({ from: data.ParticipantRole === "CUSTOMER" ? "customer" : "bot", text: String(data.Content ?? "") });
      show({ state: "waiting", messages, replies: [] });
    }
  });
  session.onEnded(() => show({ state: "ended", messages, replies: [] }));
  await session.connect();
  send = async (text: string) => {
    if (!text.trim()) { alert("The message is empty."); return; }
    for (const part of splitMessage(text)) await session.sendMessage({ contentType: "text/plain", message: part });
  };
}

async function start(event: Event): Promise<void> {
  event.preventDefault();
  alert("");
  const body: Record<string, string> = {
    display_name: (byId<HTMLInputElement>("display-name").value.trim() || "Customer"),
  };
  const signedIn = byId<HTMLSelectElement>("signed-in").value;
  if (signedIn && config.mode === "local") {
    // The company site's backend signs the signed-in customer (here its local stand-in); never the browser.
    const claim = await json<Record<string, string>>(`${config.local!.base}/site-claim`,
      { method: "POST", body: JSON.stringify({ customer_id: signedIn }) });
    Object.assign(body, claim.body);
  } else {
    const typed = byId<HTMLInputElement>("typed-identity").value.trim();
    if (typed) body.typed_identity = typed;
  }
  Object.assign(body, (window as any).chatClaimOverride ?? {}); // a test's forged claim
  const answer = await json<Started & { reason?: string; message?: string }>(config.chat!.start,
    { method: "POST", body: JSON.stringify(body) });
  if (answer.status !== 200) {
    alert(`${answer.body.message ?? "The chat could not start."} (${answer.body.reason ?? answer.status})`);
    return;
  }
  byId("chat-start").hidden = true;
  byId("conversation").hidden = false;
  status("Connected.");
  await (config.mode === "local" ? startLocal(answer.body) : startAws(answer.body));
}

async function boot(): Promise<void> {
  config = await (await fetch("config.json")).json() as ChatConfig;
  if (!config.chat) { alert("Chat is not configured here."); return; }
  if (config.mode === "local") {
    byId("signed-in-row").hidden = false;
    const callers = await json<{ callers: { key: string; label: string }[] }>(`${config.local!.base}/callers`);
    byId("signed-in").append(...callers.body.callers.filter((c) => c.key.startsWith("cust-"))
      .map((c) => el("option", { value: c.key }, c.key)));
  }
  byId("chat-start").addEventListener("submit", (e) => void start(e));
  byId("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const box = byId<HTMLTextAreaElement>("message");
    const text = box.value;
    void send(text).then(() => { box.value = ""; });
  });
  document.body.dataset.ready = "true";
}

void boot();
