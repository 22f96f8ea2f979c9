import type { HTTPMethods } from 'fastify';

/**
 * The catalogue of Wawp's routes: which ones Switchboard serves, under which of its own routes, and which it does
 * not (answered 501 not_implemented, listed in the OpenAPI under the tag "not implemented"). Sources: Wawp's v2
 * documentation and Python SDK (v2 paths), the n8n node and the WordPress plugin (v1 paths under /wp-json/awp/v1/);
 * docs/wawp-clients.md has the details. Paths use Fastify's `:param` syntax.
 */

export const V1_PREFIX = '/wp-json/awp/v1';

/** A v1 path served by one of our v2 routes: the same handler, the same schema, the route's own methods. */
export interface V1Alias {
  v1: string;
  /** Our route that serves it. */
  v2: string;
  /** v1 `getQr` is two v2 routes: `format=raw` → this one, otherwise `v2`. */
  rawFormat?: string;
}

export const V1_ALIASES: readonly V1Alias[] = [
  { v1: '/createSession', v2: '/v2/session/create' },
  { v1: '/session/start', v2: '/v2/session/start' },
  { v1: '/session/stop', v2: '/v2/session/stop' },
  { v1: '/session/restart', v2: '/v2/session/restart' },
  { v1: '/session/logout', v2: '/v2/session/logout' },
  { v1: '/session/delete', v2: '/v2/session/delete' },
  { v1: '/session/info', v2: '/v2/session/info' },
  { v1: '/session/me', v2: '/v2/session/me' },
  { v1: '/getQr', v2: '/v2/auth/qr-image', rawFormat: '/v2/auth/qr' },
  { v1: '/requestCode', v2: '/v2/auth/request-code' },
  { v1: '/send', v2: '/v2/send/text' },
  { v1: '/startTyping', v2: '/v2/send/start-typing' },
  { v1: '/stopTyping', v2: '/v2/send/stop-typing' },
  { v1: '/sendSeen', v2: '/v2/send/seen' },
];

/** A Wawp route Switchboard does not serve. */
export interface MissingRoute {
  path: string;
  methods: HTTPMethods[];
  category: string;
}

/** "METHODS path" entries, compact. */
function parse(prefix: string, entries: readonly string[]): MissingRoute[] {
  return entries.map((entry) => {
    const parts = entry.split(' ');
    const path = `${prefix}/${parts.pop()!}`;
    const first = path.slice(prefix.length + 1).split('/')[0]!;
    const category = /^(send|reaction|star)/.test(first) ? 'send' : first;
    return { path, methods: parts as HTTPMethods[], category };
  });
}

/** v2 routes seen in Wawp's documentation and its Python SDK that are not built here. */
const MISSING_V2 = parse('/v2', [
  'GET PATCH session/rate-limit',
  'DELETE GET POST session/temp-link',
  'POST send/image',
  'POST send/pdf',
  'POST send/video',
  'POST send/audio',
  'POST send/voice',
  'GET POST chats',
  'GET chats/overview',
  'POST chats/archive',
  'POST chats/unarchive',
  'DELETE chats/delete',
  'POST chats/clear',
  'POST chats/read',
  'POST chats/unread',
  'GET contacts',
  'PUT contacts/:chatId',
  'GET groups',
  'GET groups/detail',
  'POST groups/create',
  'POST groups/join',
  'POST groups/:groupId/leave',
  'POST groups/:groupId/participants/add',
  'POST groups/:groupId/participants/remove',
  'GET labels/all',
  'POST labels/create',
  'DELETE labels/:labelId/delete',
  'GET labels/:labelId/chats',
  'DELETE POST labels/:labelId/chats/:chatId',
  'POST presence/:chatId/subscribe',
  'POST status/text',
]);

/** v1 routes the n8n node and the WordPress plugin call that are not built here. */
const MISSING_V1 = parse(V1_PREFIX, [
  'GET POST channels',
  'DELETE GET channels/:id',
  'POST channels/:id/follow',
  'GET channels/:id/messages/preview',
  'POST channels/:id/mute',
  'POST channels/:id/unfollow',
  'POST channels/:id/unmute',
  'GET channels/search',
  'GET channels/search/categories',
  'GET channels/search/countries',
  'GET channels/search/views',
  'POST chats',
  'DELETE chats/:chatId',
  'POST chats/:chatId/archive',
  'DELETE GET chats/:chatId/messages',
  'DELETE POST PUT chats/:chatId/messages/:messageId',
  'POST chats/:chatId/messages/:messageId/pin',
  'POST chats/:chatId/messages/:messageId/unpin',
  'POST chats/:chatId/messages/read',
  'GET chats/:chatId/picture',
  'POST chats/:chatId/unarchive',
  'POST chats/:chatId/unread',
  'GET chats/overview',
  'GET contacts',
  'PUT contacts/:contactId',
  'GET contacts/about',
  'GET contacts/all',
  'POST contacts/block',
  'GET contacts/check-exists',
  'GET contacts/profile-picture',
  'POST contacts/unblock',
  'GET POST groups',
  'DELETE GET groups/:id',
  'POST groups/:id/admin/demote',
  'POST groups/:id/admin/promote',
  'PUT groups/:id/description',
  'GET groups/:id/invite-code',
  'POST groups/:id/invite-code/revoke',
  'POST groups/:id/leave',
  'GET groups/:id/participants',
  'POST groups/:id/participants/add',
  'POST groups/:id/participants/remove',
  'DELETE GET PUT groups/:id/picture',
  'GET PUT groups/:id/settings/security/info-admin-only',
  'GET PUT groups/:id/settings/security/messages-admin-only',
  'PUT groups/:id/subject',
  'GET groups/count',
  'POST groups/join',
  'GET groups/join-info',
  'POST groups/refresh',
  'GET POST labels',
  'DELETE PUT labels/:labelId',
  'GET labels/:labelId/chats',
  'GET PUT labels/chats/:chatId',
  'GET lids',
  'GET lids/count',
  'POST presence',
  'GET presence/:chatId',
  'GET profile',
  'PUT profile/nameRequest',
  'DELETE PUT profile/picture',
  'PUT profile/status',
  'PUT reaction',
  'POST sendContactVcard',
  'POST sendFile',
  'POST sendImage',
  'POST sendLocation',
  'POST sendPoll',
  'POST sendVideo',
  'POST sendVoice',
  'PUT star',
  'POST status/delete',
  'POST status/image',
  'POST status/text',
  'POST status/video',
  'POST status/voice',
  'GET message',
]);

export const MISSING_ROUTES: readonly MissingRoute[] = [...MISSING_V2, ...MISSING_V1];
