import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseChatId, type ChatAddress } from '../../messaging/index.ts';
import type { MessagingService } from '../../messaging/index.ts';
import { requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { SECURITY, errorResponses, instanceQuery } from '../schemas.ts';
import { CHAT_ID_PATTERN, CHAT_ID_RULE } from './send.ts';

/**
 * POST /v2/send/start-typing, /v2/send/stop-typing, /v2/send/seen (Wawp v2; v1 startTyping, stopTyping, sendSeen
 * through the catalogue). Every parameter may be in the query or the body (wawp-params.ts). They need WORKING
 * (409 otherwise) and act at once: nothing is queued.
 */

const ChatIdParam = Type.String({
  maxLength: 64,
  pattern: CHAT_ID_PATTERN,
  'x-rule': CHAT_ID_RULE,
  description: 'Digits with country code (+ and spaces removed), or …@c.us / …@s.whatsapp.net',
  examples: ['201234567890@c.us'],
});

const common = { tags: ['send'], security: SECURITY.instance };

function chatOf(raw: string): ChatAddress {
  const chat = parseChatId(raw);
  if (!chat) throw errors.invalidParameter('chatId', undefined, CHAT_ID_RULE);
  return chat;
}

/**
 * Wawp writes message ids the WAHA way, `false_<chat>_<id>` (false: the contact sent it); WhatsApp's own id is the
 * last part. A bare id is taken as is.
 */
export function whatsappMessageId(id: string): string {
  const m = /^(?:true|false)_[^_]+_(.+)$/.exec(id);
  return m ? m[1]! : id;
}

export function sendChatStateRoutes(messaging: MessagingService): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const [path, state] of [
      ['start-typing', 'composing'],
      ['stop-typing', 'paused'],
    ] as const) {
      app.post(
        `/v2/send/${path}`,
        {
          config: { auth: 'instance', xmlRoot: 'typing' },
          schema: {
            ...common,
            summary:
              state === 'composing'
                ? 'Show "typing…" in a chat (presence composing)'
                : 'Clear "typing…" in a chat (presence paused)',
            querystring: instanceQuery({ chatId: ChatIdParam }, { examples: [{ chatId: '201234567890@c.us' }] }),
            response: {
              200: Type.Object(
                { chatId: Type.String(), state: Type.Literal(state) },
                { examples: [{ chatId: '201234567890@c.us', state }] },
              ),
              ...errorResponses(400, 401, 404, 409, 502),
            },
          },
        },
        async (request) => {
          const chat = chatOf(request.query.chatId);
          return messaging.chats.typing(requestInstance(request), chat, state);
        },
      );
    }

    app.post(
      '/v2/send/seen',
      {
        config: { auth: 'instance', xmlRoot: 'seen' },
        schema: {
          ...common,
          summary: 'Mark messages (or, with only chatId, the chat) as seen: read receipts, blue ticks',
          querystring: instanceQuery(
            {
              chatId: ChatIdParam,
              messageIds: Type.Optional(
                Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
                  maxItems: 256,
                  description:
                    "Ids of messages the contact sent (WhatsApp ids, or Wawp's false_<chat>_<id>); none: every unread message of the chat",
                }),
              ),
              participant: Type.Optional(
                Type.String({ maxLength: 64, description: 'Groups only; ignored (1:1 chats)' }),
              ),
            },
            {
              examples: [{ chatId: '201234567890@c.us', messageIds: ['false_201234567890@c.us_3EB0C767D097B7C7C030'] }],
            },
          ),
          response: {
            200: Type.Object(
              {
                chatId: Type.String(),
                messageIds: Type.Array(Type.String(), { description: 'The messages a read receipt was sent for' }),
              },
              { examples: [{ chatId: '201234567890@c.us', messageIds: ['3EB0C767D097B7C7C030'] }] },
            ),
            ...errorResponses(400, 401, 404, 409, 502),
          },
        },
      },
      async (request) => {
        const chat = chatOf(request.query.chatId);
        const ids = request.query.messageIds?.map(whatsappMessageId) ?? null;
        return messaging.chats.seen(requestInstance(request), chat, ids && ids.length > 0 ? ids : null);
      },
    );
  };
}
