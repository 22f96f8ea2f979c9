// Types of sse.js for the TypeScript tests that run it in Node (the browser loads the .js itself; this file is not served).

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

export function sseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void;

export function isRevocation(status: number, body: unknown): boolean;

export interface EventStreamOptions {
  url: string;
  headers: Record<string, string>;
  lastEventId?: string | null;
  onOpen?: () => void;
  onEnvelope: (envelope: any, seq: string | null) => void;
  onRevoked: (body: any) => void;
  onEnd: (reason: string, answer?: { status: number; body: any }) => void;
  fetchImpl?: (url: string, init: any) => Promise<Response>;
}

export function openEventStream(options: EventStreamOptions): { close(): void; readonly lastEventId: string | null };
