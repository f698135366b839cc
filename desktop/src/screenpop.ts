// The screen pop from the contact's attributes (what the routing Lambda returned, functions/routing/service.py
// ATTRIBUTE_KEYS): every value is checked, a missing or malformed one is shown as unknown, never trusted.

export interface ScreenPop {
  customerId: string | null;
  name: string | null; // only after the caller typed their PIN (the verification Lambda returns it)
  tier: string | null;
  language: string | null;
  reason: string | null;
  note: string | null;
  queue: string | null;
  openTickets: number | null;
  overdueTickets: number | null;
  latestTicketId: string | null;
  latestTicketStatus: string | null;
  latestTicketOverdue: boolean;
  identity: string | null; // caller_id, signed, typed (functions/routing/channels.py)
  recentContacts: RecentContact[]; // newest first (functions/common/contact_history.py: to_attribute)
  problems: string[]; // attributes that were present but not usable
}

/** One of the customer's last contacts on any channel, so nobody has to tell their story again. */
export interface RecentContact {
  channel: string;
  at: string; // UTC, 2026-11-24T15:30Z
  queue: string;
  reason: string;
  ticketId: string;
  contactId: string;
  identity: string;
}

const RECENT_FIELD = /^[A-Za-z0-9_.:@+-]{0,64}$/;
const RECENT_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/** `CHANNEL|at|queue|reason|ticket|contact_id|identity` joined by `;`: every field checked, a bad entry dropped. */
export function recentContacts(value: unknown): { contacts: RecentContact[]; malformed: boolean } {
  if (typeof value !== "string" || value === "") return { contacts: [], malformed: false };
  if (value.length > 1200) return { contacts: [], malformed: true };
  const contacts: RecentContact[] = [];
  let malformed = false;
  for (const entry of value.split(";")) {
    const fields = entry.split("|");
    if (fields.length !== 7 || !fields.every((f) => RECENT_FIELD.test(f)) || !RECENT_AT.test(fields[1]) || !fields[5]) {
      malformed = true;
      continue;
    }
    const [channel, at, queue, reason, ticketId, contactId, identity] = fields;
    contacts.push({ channel, at, queue, reason, ticketId, contactId, identity });
  }
  return { contacts, malformed };
}

const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const WORD = /^[A-Za-z0-9 _.-]{1,64}$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

/** The vocabulary the page checks values against: from config.json, which Python writes from the same
 * constants the functions use (callcenter/desktop/config.py). */
export interface Vocabulary {
  tiers: string[];
  statuses: string[];
}

export function screenPop(attributes: Record<string, unknown>, queueName: string | null,
                          vocabulary: Vocabulary): ScreenPop {
  const TIERS = new Set(vocabulary.tiers);
  const STATUSES = new Set(vocabulary.statuses);
  const problems: string[] = [];
  const text = (key: string, pattern: RegExp, max = 240): string | null => {
    const value = attributes[key];
    if (value === undefined || value === null || value === "") return null;
    if (typeof value !== "string" || value.length > max || !pattern.test(value)) {
      problems.push(key);
      return null;
    }
    return value;
  };
  const count = (key: string): number | null => {
    const value = attributes[key];
    if (value === undefined || value === null || value === "") return null;
    const n = typeof value === "string" && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
    if (Number.isNaN(n)) {
      problems.push(key);
      return null;
    }
    return n;
  };
  const known = attributes["caller_status"] === "known";
  const tier = text("tier", WORD);
  const status = text("latest_ticket_status", WORD);
  const pop: ScreenPop = {
    customerId: known ? text("customer_id", ID) : null,
    name: text("customer_name", /^[^<>]{1,120}$/, 120),
    tier: tier && TIERS.has(tier) ? tier : tier ? (problems.push("tier"), null) : null,
    language: text("language", LANGUAGE),
    reason: text("reason", WORD),
    note: text("routing_note", /^[^<>]*$/),
    queue: text("queue", WORD) ?? (queueName && WORD.test(queueName) ? queueName : null),
    openTickets: count("open_ticket_count"),
    overdueTickets: count("overdue_ticket_count"),
    latestTicketId: text("latest_ticket_id", ID),
    latestTicketStatus: status && STATUSES.has(status) ? status : status ? (problems.push("latest_ticket_status"), null) : null,
    latestTicketOverdue: attributes["latest_ticket_overdue"] === "true",
    identity: text("identity", /^(caller_id|signed|typed|none)$/),
    recentContacts: [],
    problems,
  };
  const recent = recentContacts(attributes["recent_contacts"]);
  pop.recentContacts = known ? recent.contacts : [];
  if (recent.malformed) problems.push("recent_contacts");
  return pop;
}
