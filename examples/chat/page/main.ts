// The chat page: logs in over HTTP, then talks to the chat server with a SocketClient on the
// browser adapter (the platform WebSocket). Bundled by the server with esbuild (see server.ts).
// DOM code only: type-checked by tsconfig.browser.json, never imports Node modules.
import { FirstFrameAuthorization, PlugSocketError, SocketClient } from 'plugsocket';
import { BrowserSocket } from 'plugsocket/browser';
import type { ChatLine, ChatSchema, JoinResult, Member } from '../protocol.js';

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
  loginError: element('login-error'),
  chat: element('chat'),
  roomForm: element<HTMLFormElement>('room-form'),
  room: element<HTMLInputElement>('room'),
  roomName: element('room-name'),
  messages: element<HTMLUListElement>('messages'),
  typing: element('typing'),
  messageForm: element<HTMLFormElement>('message-form'),
  message: element<HTMLInputElement>('message'),
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
/** The room this page is in. */
let room: string | undefined;
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
  ui.loginError.textContent = '';
  login(ui.name.value.trim(), ui.password.value).catch((error: unknown) =>
    showError(ui.loginError, error),
  );
});

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
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const next: Client = new SocketClient<ChatSchema>(new BrowserSocket(), {
    url,
    // A browser cannot set WebSocket headers: the token goes in the first frame, never the URL.
    authorization: new FirstFrameAuthorization({ credentials: () => ({ token }) }),
    // Quick retries for a demo: a restarted server is back within a second or two.
    reconnect: { minDelay: 250, maxDelay: 2_000 },
  });

  next.state$.subscribe((change) => {
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
    if (room === undefined) return;
    if (outcome.resumed) {
      // The session carried on: what the server sent it meanwhile was replayed. Lines posted
      // while the session waited in a restarting server's store were not: fetch those.
      void catchUp(room);
    } else {
      // A new session: the server has forgotten this client's room. Join it again.
      void join(room);
    }
  });

  next.events.on('message', (line) => {
    if (line.room === room) addLine(line, 'live');
  });
  next.events.on('presence', ({ topic, members }) => {
    if (topic === room) showMembers(members);
  });
  next.events.on('typing', (payload, message) => {
    if (payload.room !== room || message.from === undefined) return;
    showTypist(message.from);
  });
  next.onError((error) => console.warn('plugsocket:', error.code, error.message));

  setStatus('connecting', 'connecting…');
  await next.connect();
  client = next;
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

async function join(name: string): Promise<void> {
  if (client === undefined) return;
  ui.chatError.textContent = '';
  let result: JoinResult;
  try {
    result = await client.request('join', { room: name });
  } catch (error) {
    showError(ui.chatError, error);
    return;
  }
  if (room !== result.room) {
    room = result.room;
    shown.clear();
    lastLineId = 0;
    ui.messages.replaceChildren();
    clearTypists();
  }
  ui.roomName.textContent = result.room;
  for (const line of result.history) addLine(line, 'history');
  showMembers(result.members);
  ui.message.focus();
}

async function catchUp(name: string): Promise<void> {
  if (client === undefined) return;
  try {
    const missed = await client.request('history', { room: name, after: lastLineId });
    if (name === room) for (const line of missed) addLine(line, 'catch-up');
  } catch (error) {
    showError(ui.chatError, error);
  }
}

/**
 * Shows a line once, however often it arrives. `via` says how it came; each line's element counts
 * in `data-live` how many times it came as a live message (resume must make that at most 1).
 */
function addLine(line: ChatLine, via: 'live' | 'history' | 'catch-up'): void {
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
  // While reconnecting, this waits in the client's offline queue and goes out on reconnect.
  client.emit('say', { room, text });
  ui.message.value = '';
  lastTypingSent = 0;
});

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
