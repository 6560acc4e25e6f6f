// The chat page: logs in over HTTP, then talks to the chat server with a SocketClient on the
// browser adapter (the platform WebSocket). Bundled by the server with esbuild (see server.ts).
// DOM code only: type-checked by tsconfig.browser.json, never imports Node modules.
import { FirstFrameAuthorization, PlugSocketError, SocketClient } from 'plugsocket';
import { BrowserSocket } from 'plugsocket/browser';
import type { ChatLine, ChatSchema, JoinResult, Member, SayPayload } from '../protocol.js';

type Client = SocketClient<ChatSchema>;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} missing from the page`);
  return found as T;
}

const ui = {
  me: element('me'),
  status: element('status'),
  login: element('login'),
  loginForm: element<HTMLFormElement>('login-form'),
  name: element<HTMLInputElement>('name'),
  password: element<HTMLInputElement>('password'),
  loginButton: element<HTMLButtonElement>('login-button'),
  loginError: element('login-error'),
  chat: element('chat'),
  roomForm: element<HTMLFormElement>('room-form'),
  room: element<HTMLInputElement>('room'),
  roomName: element('room-name'),
  messages: element<HTMLUListElement>('messages'),
  typing: element('typing'),
  messageForm: element<HTMLFormElement>('message-form'),
  message: element<HTMLInputElement>('message'),
  pending: element('pending'),
  members: element<HTMLUListElement>('members'),
  roll: element<HTMLButtonElement>('roll'),
  answer: element('answer'),
  chatError: element('chat-error'),
};

/** How long a typing indicator stays after the last `typing` event, in ms. */
const TYPING_SHOWN = 3_000;
/** At most one `typing` event per this many ms while the user types. */
const TYPING_EVERY = 1_000;

let client: Client | undefined;
/** A login is under way: a second submit of the form is ignored. */
let loggingIn = false;
/** The room this page is in. */
let room: string | undefined;
/**
 * Whether the server has this page's connection in `room`: false from a new session (a reconnect
 * that could not resume) until the page has joined again. Lines are only sent while it is true.
 */
let joined = false;
/** A line typed here and not yet answered by the server. */
interface Outgoing extends SayPayload {
  key: string;
  /** The server refused it once as not in the room; a second refusal gives it up. */
  refused?: boolean;
}
/** Lines typed and not yet posted, in order: sent one at a time, each until the server answers. */
const outgoing: Outgoing[] = [];
let flushing = false;
/** The ids of the lines shown: a line that arrives twice (live and in a catch-up) shows once. */
const shown = new Set<number>();
let lastLineId = 0;
/** The current room's members by client id, to name a relayed typist. */
let memberNames = new Map<string, string>();
const typists = new Map<string, ReturnType<typeof setTimeout>>();
let lastTypingSent = 0;

function showError(where: HTMLElement, error: unknown): void {
  where.textContent =
    error instanceof PlugSocketError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
}

function setStatus(state: string, text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

// ------------------------------------------------------------------ login and connection

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  // One login at a time: a second submit (a double click, Enter twice) would open a second client.
  if (loggingIn) return;
  loggingIn = true;
  setLoginEnabled(false);
  ui.loginError.textContent = '';
  login(ui.name.value.trim(), ui.password.value)
    .catch((error: unknown) => showError(ui.loginError, error))
    .finally(() => {
      loggingIn = false;
      setLoginEnabled(true);
    });
});

function setLoginEnabled(enabled: boolean): void {
  for (const control of [ui.name, ui.password, ui.loginButton]) control.disabled = !enabled;
}

async function login(name: string, password: string): Promise<void> {
  const response = await fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  const body = (await response.json()) as { user?: string; token?: string; error?: string };
  if (!response.ok || body.token === undefined || body.user === undefined)
    throw new Error(body.error ?? `login failed (${response.status})`);
  await connect(body.user, body.token);
}

async function connect(user: string, token: string): Promise<void> {
  // Never two clients: one already there is closed, and its listeners go quiet (they check
  // `client === next`), before the new one starts.
  const previous = client;
  client = undefined;
  if (previous !== undefined) await previous.disconnect().catch(() => undefined);
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const next: Client = new SocketClient<ChatSchema>(new BrowserSocket(), {
    url,
    // A browser cannot set WebSocket headers: the token goes in the first frame, never the URL.
    authorization: new FirstFrameAuthorization({ credentials: () => ({ token }) }),
    // Quick retries for a demo: a restarted server is back within a second or two.
    reconnect: { minDelay: 250, maxDelay: 2_000 },
  });

  // Only the page's current client may change the page.
  const current = (): boolean => client === next;

  next.state$.subscribe((change) => {
    if (!current()) return;
    switch (change.state) {
      case 'open':
        if (change.resumed) setStatus('resumed', 'connected (session resumed)');
        else if (change.reason === 'initial') setStatus('connected', 'connected');
        else setStatus('connected', `connected (new session: ${change.reason})`);
        break;
      case 'reconnecting':
        setStatus('reconnecting', 'reconnecting…');
        break;
      case 'connecting':
        setStatus('connecting', 'connecting…');
        break;
      case 'closed':
        setStatus('closed', 'disconnected');
        break;
      default:
        break;
    }
  });

  next.onReconnected((outcome) => {
    if (!current() || room === undefined) return;
    if (outcome.resumed) {
      // The session carried on: what the server sent it meanwhile was replayed. Lines posted
      // while the session waited in a restarting server's store were not: fetch those. Lines
      // typed meanwhile go out now.
      void catchUp(room, lastLineId);
      void flush();
    } else {
      // A new session: the server has forgotten this client's room. Hold the lines typed meanwhile
      // until the page is in the room again, then catch up and send them (see rejoin()).
      joined = false;
      void rejoin(room);
    }
  });

  next.events.on('message', (line) => {
    if (current() && line.room === room) addLine(line, 'live');
  });
  next.events.on('presence', ({ topic, members }) => {
    if (current() && topic === room) showMembers(members);
  });
  next.events.on('typing', (payload, message) => {
    if (!current() || payload.room !== room || message.from === undefined) return;
    showTypist(message.from);
  });
  next.onError((error) => console.warn('plugsocket:', error.code, error.message));

  client = next;
  setStatus('connecting', 'connecting…');
  try {
    await next.connect();
  } catch (error) {
    if (current()) client = undefined;
    await next.disconnect().catch(() => undefined);
    throw error;
  }
  if (!current()) return;
  ui.me.textContent = user;
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.room.focus();
}

// ------------------------------------------------------------------ rooms

ui.roomForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void join(ui.room.value.trim());
});

/** Joins room `name` (leaving the one the page was in). @returns whether it did. */
async function join(name: string): Promise<boolean> {
  const asking = client;
  if (asking === undefined) return false;
  ui.chatError.textContent = '';
  let result: JoinResult;
  try {
    result = await asking.request('join', { room: name });
  } catch (error) {
    if (asking === client) showError(ui.chatError, error);
    return false;
  }
  if (asking !== client) return false;
  if (room !== result.room) {
    room = result.room;
    shown.clear();
    lastLineId = 0;
    ui.messages.replaceChildren();
    clearTypists();
  }
  joined = true;
  ui.roomName.textContent = result.room;
  for (const line of result.history) addLine(line, 'history');
  showMembers(result.members);
  ui.message.focus();
  void flush();
  return true;
}

/**
 * After a new session: join the room again, fetch every line after the last one shown (the join
 * answers only the last HISTORY_ON_JOIN), then send the lines held meanwhile.
 */
async function rejoin(name: string): Promise<void> {
  const since = lastLineId;
  if (!(await join(name))) return;
  await catchUp(name, since);
  void flush();
}

/** Shows the lines of room `name` after line `after` that the page has not shown. */
async function catchUp(name: string, after: number): Promise<void> {
  const asking = client;
  if (asking === undefined) return;
  try {
    const missed = await asking.request('history', { room: name, after });
    if (asking === client && name === room) for (const line of missed) addLine(line, 'catch-up');
  } catch (error) {
    if (asking === client) showError(ui.chatError, error);
  }
}

/**
 * Shows a line once, however often it arrives. `via` says how it came; each line's element counts
 * in `data-live` how many times it came as a live message (resume must make that at most 1).
 */
function addLine(line: ChatLine, via: 'live' | 'history' | 'catch-up' | 'sent'): void {
  if (shown.has(line.id)) {
    const item = ui.messages.querySelector<HTMLElement>(`li[data-id="${line.id}"]`);
    if (item !== null && via === 'live') item.dataset.live = String(Number(item.dataset.live) + 1);
    return;
  }
  shown.add(line.id);
  lastLineId = Math.max(lastLineId, line.id);
  const item = document.createElement('li');
  item.dataset.id = String(line.id);
  item.dataset.user = line.user;
  item.dataset.via = via;
  item.dataset.live = via === 'live' ? '1' : '0';
  const who = document.createElement('span');
  who.className = 'user';
  who.textContent = line.user;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = line.text;
  item.append(who, text);
  item.title = new Date(line.at).toLocaleTimeString();
  // Keep the list in id order even when a catch-up answer arrives after newer live lines.
  const after = [...ui.messages.children].find(
    (other) => Number((other as HTMLElement).dataset.id) > line.id,
  );
  ui.messages.insertBefore(item, after ?? null);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  clearTypist(line.user);
}

function showMembers(members: Member[]): void {
  memberNames = new Map(members.map((member) => [member.id, String(member.user)]));
  const users = [...new Set(memberNames.values())].sort();
  ui.members.replaceChildren(
    ...users.map((user) => {
      const item = document.createElement('li');
      item.dataset.user = user;
      item.textContent = user;
      return item;
    }),
  );
}

// ------------------------------------------------------------------ typing indicators

ui.message.addEventListener('input', () => {
  if (client === undefined || room === undefined || ui.message.value === '') return;
  const now = Date.now();
  if (now - lastTypingSent < TYPING_EVERY) return;
  lastTypingSent = now;
  // While disconnected nothing is worth queueing: a stale "is typing" helps nobody.
  if (client.isConnected) client.emit('typing', { room });
});

function showTypist(clientId: string): void {
  const user = memberNames.get(clientId) ?? 'someone';
  clearTimeout(typists.get(user));
  typists.set(
    user,
    setTimeout(() => clearTypist(user), TYPING_SHOWN),
  );
  renderTypists();
}

function clearTypist(user: string): void {
  if (!typists.has(user)) return;
  clearTimeout(typists.get(user));
  typists.delete(user);
  renderTypists();
}

function clearTypists(): void {
  for (const timer of typists.values()) clearTimeout(timer);
  typists.clear();
  renderTypists();
}

function renderTypists(): void {
  const users = [...typists.keys()].sort();
  ui.typing.textContent =
    users.length === 0 ? '' : `${users.join(', ')} ${users.length === 1 ? 'is' : 'are'} typing…`;
}

// ------------------------------------------------------------------ sending, requests

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.message.value.trim();
  if (client === undefined || room === undefined || text === '') return;
  // Held here, not in the client's offline queue: that queue is sent the moment a connection
  // opens, before the page could join its room again in a new session, and the server would
  // refuse the line. The key makes sending it again (its answer lost with a connection) safe.
  outgoing.push({ room, text, key: lineKey() });
  ui.message.value = '';
  lastTypingSent = 0;
  void flush();
});

/** A random id for a line: the server posts a (user, key) once, however often it is sent. */
function lineKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Sends the held lines, in order, one at a time, each until the server answers: while the client
 * is open and in the room. What cannot go now stays held and goes after the next (re)join. A line
 * is dropped only with an error on the page that says so.
 */
async function flush(): Promise<void> {
  if (flushing) return;
  flushing = true;
  try {
    for (;;) {
      showPending();
      const sender = client;
      const line = outgoing[0];
      if (line === undefined || sender === undefined || !sender.isConnected || !joined) return;
      if (line.room !== room) {
        outgoing.shift();
        showError(ui.chatError, `not sent to ${line.room}, you left it: "${line.text}"`);
        continue;
      }
      try {
        const posted = await sender.request('say', {
          room: line.room,
          text: line.text,
          key: line.key,
        });
        outgoing.shift();
        if (sender === client && posted.room === room) addLine(posted, 'sent');
      } catch (error) {
        if (sender !== client) return;
        if (PlugSocketError.is(error, 'NOT_CONNECTED') || PlugSocketError.is(error, 'TIMEOUT'))
          // Maybe posted, maybe not: sent again with the same key once back in the room.
          continue;
        if (PlugSocketError.is(error, 'UNAUTHORIZED') && line.room === room && !line.refused) {
          // The server no longer has this connection in the room: join again, then send.
          line.refused = true;
          joined = false;
          void rejoin(line.room);
          return;
        }
        outgoing.shift();
        showError(ui.chatError, error);
      }
    }
  } finally {
    flushing = false;
  }
}

function showPending(): void {
  const n = outgoing.length;
  ui.pending.dataset.count = String(n);
  ui.pending.textContent = n === 0 ? '' : `${n} ${n === 1 ? 'line' : 'lines'} waiting to be sent`;
}

ui.roll.addEventListener('click', () => {
  if (client === undefined) return;
  ui.answer.textContent = 'rolling…';
  client.request('roll', { sides: 6 }).then(
    ({ user, sides, value }) => {
      ui.answer.textContent = `${user} rolled ${value} (d${sides})`;
    },
    (error: unknown) => showError(ui.answer, error),
  );
});
