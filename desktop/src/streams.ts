// The real softphone: the Amazon Connect CCP embedded with Amazon Connect Streams (amazon-connect-streams,
// pinned in package.json). Loaded only when config.json names a Connect instance: a separate chunk.
import "amazon-connect-streams";
import type { ConnectedContact, Softphone, SoftphoneEvents } from "./softphone";

declare const connect: any; // the global the Streams library defines

export class StreamsSoftphone implements Softphone {
  constructor(private readonly instanceUrl: string, private readonly region: string) {}

  async start(container: HTMLElement, events: SoftphoneEvents): Promise<void> {
    container.replaceChildren();
    const frame = document.createElement("div");
    frame.id = "ccp";
    container.append(frame);
    connect.core.initCCP(frame, {
      ccpUrl: `${this.instanceUrl}/ccp-v2/`,
      loginPopup: true,
      loginPopupAutoClose: true,
      region: this.region,
      softphone: { allowFramedSoftphone: true },
      pageOptions: { enableAudioDeviceSettings: true, enablePhoneTypeSettings: true },
    });
    connect.contact((contact: any) => {
      contact.onConnecting(() => events.incoming(contact.getContactId(), ""));
      contact.onConnected(() => {
        const at = performance.now();
        const attributes: Record<string, string> = {};
        const raw = contact.getAttributes() ?? {};
        for (const [key, entry] of Object.entries(raw)) {
          const value = (entry as { value?: unknown })?.value;
          if (typeof value === "string") attributes[key] = value;
        }
        const queue = contact.getQueue?.()?.name ?? null;
        const connected: ConnectedContact = { contactId: contact.getContactId(), queueName: queue, attributes };
        events.connected(connected, at);
      });
      contact.onEnded(() => events.ended(contact.getContactId()));
    });
  }
}
