// The softphone behind one interface: Amazon Connect Streams in AWS (streams.ts, loaded only there), a stand-in
// driven by the local simulator when the page runs under `callcenter desktop`.

export interface ConnectedContact {
  contactId: string;
  queueName: string | null;
  attributes: Record<string, string>;
}

export interface SoftphoneEvents {
  incoming(contactId: string, from: string): void;
  connected(contact: ConnectedContact, at: number): void; // at: performance.now() when the contact connected
  ended(contactId: string): void;
  problem(words: string): void;
}

export interface Softphone {
  start(container: HTMLElement, events: SoftphoneEvents): Promise<void>;
}

interface LocalCaller { key: string; label: string }
interface LocalCall {
  contact_id: string;
  outcome: string;
  queue: string | null;
  attributes: Record<string, string>;
  summary: string;
}

/** The stand-in: pick a caller, the simulator runs the inbound flow (routing Lambda included), the call rings
 * here when it is queued, Accept connects it, End ends it. */
export class LocalSoftphone implements Softphone {
  constructor(private readonly base: string) {}

  async start(container: HTMLElement, events: SoftphoneEvents): Promise<void> {
    let callers: LocalCaller[] = [];
    try {
      const response = await fetch(`${this.base}/callers`);
      callers = ((await response.json()) as { callers: LocalCaller[] }).callers;
    } catch {
      events.problem("The local simulator is not answering: the softphone stand-in cannot place calls.");
    }
    container.replaceChildren();
    const label = document.createElement("label");
    label.textContent = "Simulated caller ";
    label.htmlFor = "caller";
    const select = document.createElement("select");
    select.id = "caller";
    for (const caller of callers) select.append(new Option(caller.label, caller.key));
    const ring = button("Ring", "ring");
    const accept = button("Accept", "accept");
    const end = button("End", "end");
    accept.disabled = true;
    end.disabled = true;
    const state = document.createElement("p");
    state.id = "softphone-state";
    state.setAttribute("aria-live", "polite");
    state.textContent = "Available: no call.";
    container.append(label, select, document.createElement("br"), ring, accept, end, state);
    let current: LocalCall | null = null;

    ring.addEventListener("click", async () => {
      ring.disabled = true;
      state.textContent = "Placing a simulated call through the inbound flow…";
      try {
        const response = await fetch(`${this.base}/calls`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ caller: select.value }),
        });
        if (!response.ok) throw new Error(String(response.status));
        const call = (await response.json()) as LocalCall;
        if (call.outcome !== "queued") {
          state.textContent = `The call did not reach an agent: ${call.summary}`;
          ring.disabled = false;
          return;
        }
        current = call;
        state.textContent = `Incoming call for queue ${call.queue ?? "?"}: ringing.`;
        accept.disabled = false;
        accept.focus();
        events.incoming(call.contact_id, select.options[select.selectedIndex]?.text ?? "");
      } catch {
        state.textContent = "The simulator could not place the call.";
        ring.disabled = false;
      }
    });
    accept.addEventListener("click", () => {
      if (!current) return;
      accept.disabled = true;
      end.disabled = false;
      state.textContent = "Connected.";
      void fetch(`${this.base}/calls/${current.contact_id}/connected`, { method: "POST" }).catch(() => undefined);
      events.connected({ contactId: current.contact_id, queueName: current.queue, attributes: current.attributes },
                       performance.now());
    });
    end.addEventListener("click", () => {
      if (!current) return;
      const ended = current.contact_id;
      current = null;
      void fetch(`${this.base}/calls/${ended}/ended`, { method: "POST" }).catch(() => undefined);
      end.disabled = true;
      ring.disabled = false;
      state.textContent = "Call ended. Available: no call.";
      events.ended(ended);
      ring.focus();
    });
  }
}

export function button(text: string, id: string, secondary = false): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.id = id;
  b.textContent = text;
  if (secondary) b.className = "secondary";
  return b;
}
