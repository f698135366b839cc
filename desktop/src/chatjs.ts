// Connect's participant-side chat library (amazon-connect-chatjs, pinned in package.json): it defines the global
// `connect.ChatSession`. Loaded only when the chat page runs against a real Connect instance: a separate chunk.
import "amazon-connect-chatjs";

export const loaded = true;
