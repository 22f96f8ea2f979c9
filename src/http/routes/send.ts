import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseChatId } from '../../messaging/index.ts';
import type { MessagingService } from '../../messaging/index.ts';
import { requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { ownerLostWhile } from '../forward/index.ts';
import { Nullable, SECURITY, errorResponses, instanceQuery } from '../schemas.ts';

/**
 * POST and GET /v2/send/text (docs/http-api.md "Wawp routes"). Every parameter may be in the query or the body (wawp-params.ts). `text` is accepted as an alias of `message`, as Wawp's generated client code sends it.
 * The instance's signature template is appended; the answer's `body` is the text exactly as sent.
 */

export const MAX_TEXT = 4096;

/** What an unusable chatId is told (1:1 chats with a phone number only; see messaging/chat-id.ts). */
/** What the schema admits for chatId (parseChatId decides exactly; this only keeps the OpenAPI honest). */
export const CHAT_ID_PATTERN = '^[+\\s\\d]{6,40}(@(c\\.us|s\\.whatsapp\\.net))?$';

export const CHAT_ID_RULE =
  'chatId must be a phone number or a JID (digits with country code, …@c.us or …@s.whatsapp.net)';

const Text = Type.String({ minLength: 1, maxLength: MAX_TEXT });

const SendAnswerSchema = Type.Object(
  {
    id: Type.String({ description: 'WhatsApp message id (also in message.ack events)' }),
    chatId: Type.String({ examples: ['201234567890@c.us'] }),
    body: Type.String({ description: 'The text as sent, signature included' }),
    timestamp: Type.Integer({ description: 'Unix seconds' }),
    ack: Type.Literal(0),
    ackName: Type.Literal('PENDING'),
    warnings: Type.Array(Type.String(), { description: 'e.g. unknown signature placeholders, left as written' }),
  },
  {
    examples: [
      {
        id: '3EB0C767D097B7C7C030',
        chatId: '201234567890@c.us',
        body: 'Your ticket is solved.',
        timestamp: 1764151200,
        ack: 0,
        ackName: 'PENDING',
        warnings: [],
      },
    ],
  },
);

export function sendRoutes(messaging: MessagingService): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Wawp lists GET as well as POST for send/text (its samples put every parameter in the query).
    for (const method of ['POST', 'GET'] as const) {
      app.route({
        method,
        url: '/v2/send/text',
        config: { auth: 'instance', xmlRoot: 'message' },
        schema: {
          tags: ['send'],
          security: SECURITY.instance,
          summary: 'Send a text (signature appended); 409 unless WORKING',
          description:
            'Queued durably before the answer, then sent in order within the instance rate limit ' +
            '(SWITCHBOARD_SEND_RATE_PER_MIN). The answer normally follows the send itself; if the rate limit or a ' +
            'reconnect holds the message longer, it is still 201 with the same id and the message follows. ' +
            '`message` or its alias `text` is required.',
          querystring: instanceQuery(
            {
              chatId: Type.String({
                maxLength: 64,
                pattern: CHAT_ID_PATTERN,
                'x-rule': CHAT_ID_RULE,
                description: 'Digits with country code (+ and spaces removed), or …@c.us / …@s.whatsapp.net',
                examples: ['201234567890@c.us'],
              }),
              message: Type.Optional({ ...Text, examples: ['Hi from Switchboard'] }),
              text: Type.Optional({ ...Text, description: 'Alias of message' }),
              reply_to: Type.Optional(
                Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'Id of the quoted message' })),
              ),
            },
            {
              requireOneOf: ['message', 'text'],
              examples: [{ chatId: '201234567890@c.us', message: 'Your ticket is solved.' }],
            },
          ),
          response: { 201: SendAnswerSchema, ...errorResponses(400, 401, 404, 409, 502) },
        },
        handler: async (request, reply) => {
          const instance = requestInstance(request);
          const params = request.query;
          const chat = parseChatId(params.chatId);
          if (!chat) throw errors.invalidParameter('chatId', undefined, CHAT_ID_RULE);
          const text = params.message ?? params.text;
          if (text === undefined) throw errors.missingParameter('message');
          const input = { chat, text, replyTo: params.reply_to ?? null };
          // Several nodes, the node running it lost: queued here for the node that takes it over.
          const answer =
            ownerLostWhile(request) === 'WORKING'
              ? await messaging.queueForLostOwner(instance, input)
              : await messaging.send(instance, input);
          reply.code(201);
          return answer;
        },
      });
    }
  };
}
