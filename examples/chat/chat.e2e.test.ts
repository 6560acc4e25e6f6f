// End to end: the chat example's server and two headless Chromium pages (alice and bob, plus carol
// who comes and goes) driven by playwright-core, through login, a room join with history,
// presence, a typing indicator, messages, a request, and a server restart on the same port with a
// shared store, which both pages survive by resuming their sessions. Asserts on what the pages
// show.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { MemorySessionStore } from 'plugsocket';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/browser/chromium.js';
import { HISTORY_ON_JOIN, type ChatLine } from './protocol.js';
import { createChatStore, startChat, type ChatServer, type ChatStore } from './server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = resolve(ROOT, '.scratch/chat-e2e.png');
/** How long one expectation on a page may take to come true. */
const WAIT = 10_000;

describe('chat example, end to end in Chromium', function () {
  this.timeout(60_000);

  let store: ChatStore;
  let chat: ChatServer | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];

  before(async function () {
    store = createChatStore();
    chat = await startChat({ port: 0, host: '127.0.0.1', store });
    // Debian's chromium, headless and off the network; fails (never skips) when not installed.
    browser = await launchChromium();
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await chat?.close().catch(() => undefined);
  });

  async function openPage(): Promise<Page> {
    // A context each: two separate browser profiles, as two people would be.
    const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    await page.goto(chat!.url);
    return page;
  }

  async function login(page: Page, name: string, password: string): Promise<void> {
    await page.fill('#name', name);
    await page.fill('#password', password);
    await page.click('#login-button');
    await page.waitForSelector('#status[data-state="connected"]');
    expect(await page.isVisible('#chat')).to.equal(true);
    expect(await page.textContent('#me')).to.equal(name);
  }

  async function join(page: Page, room: string): Promise<void> {
    await page.fill('#room', room);
    await page.click('#join');
    await waitText(page, '#room-name', room);
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#message', text);
    await page.press('#message', 'Enter');
  }

  /** Polls `read` until `check` passes on what it returns, or fails with the last value. */
  async function until<T>(
    read: () => Promise<T>,
    check: (value: T) => boolean,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + WAIT;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  const text = async (page: Page, selector: string): Promise<string> =>
    (await page.textContent(selector)) ?? '';
  const lines = (page: Page): Promise<string[]> =>
    page.locator('#messages li .text').allTextContents();
  const members = (page: Page): Promise<string[]> => page.locator('#members li').allTextContents();

  const waitText = (page: Page, selector: string, want: string): Promise<string> =>
    until(
      () => text(page, selector),
      (value) => value.includes(want),
      `${selector} to show "${want}"`,
    );
  const waitLine = (page: Page, want: string): Promise<string[]> =>
    until(
      () => lines(page),
      (value) => value.includes(want),
      `the line "${want}"`,
    );
  const waitMembers = (page: Page, want: string[]): Promise<string[]> =>
    until(
      () => members(page),
      (value) => value.join(',') === want.join(','),
      `members ${want.join(', ')}`,
    );

  it('logs in, joins, shows presence, typing, messages, history and a request, and resumes after a server restart', async function () {
    const alice = await openPage();
    const bob = await openPage();

    // A login form submitted twice opens one connection, not two.
    await alice.fill('#name', 'alice');
    await alice.fill('#password', 'alice-pw');
    await alice.evaluate(() => {
      const form = document.getElementById('login-form') as HTMLFormElement;
      form.requestSubmit();
      form.requestSubmit();
    });
    await alice.waitForSelector('#status[data-state="connected"]');
    expect(await alice.textContent('#me')).to.equal('alice');
    await new Promise((done) => setTimeout(done, 300));
    const alices = chat!.server.getClients().filter((client) => client.principal === 'alice');
    expect(alices, 'alice connections').to.have.length(1);
    expect(await alice.isEnabled('#login-button')).to.equal(true);

    // A wrong password is refused on the page.
    await bob.fill('#name', 'bob');
    await bob.fill('#password', 'wrong');
    await bob.click('#login-button');
    await waitText(bob, '#login-error', 'wrong name or password');
    expect(await bob.isVisible('#chat')).to.equal(false);

    await login(bob, 'bob', 'bob-pw');

    // Alice posts before bob joins: bob gets it as history on join.
    await join(alice, 'lobby');
    await waitMembers(alice, ['alice']);
    await say(alice, 'posted before bob came');
    await waitLine(alice, 'posted before bob came');

    await join(bob, 'lobby');
    expect(await lines(bob)).to.deep.equal(['posted before bob came']);

    // Presence: both pages list both members.
    await waitMembers(bob, ['alice', 'bob']);
    await waitMembers(alice, ['alice', 'bob']);

    // Alice types: bob sees her typing; alice does not see herself.
    await alice.click('#message');
    await alice.keyboard.type('hel');
    await waitText(bob, '#typing', 'alice is typing');
    expect(await alice.textContent('#typing')).to.equal('');

    // Alice sends: bob sees the line, and the typing indicator goes.
    await alice.fill('#message', 'hello bob');
    await alice.press('#message', 'Enter');
    await waitLine(bob, 'hello bob');
    await until(
      () => text(bob, '#typing'),
      (value) => value === '',
      'the typing indicator to go',
    );
    const lineUser = await bob.getAttribute('#messages li:last-child', 'data-user');
    expect(lineUser).to.equal('alice');

    // A third member comes and goes: presence follows a join and a closed tab.
    const carol = await openPage();
    await login(carol, 'carol', 'carol-pw');
    await join(carol, 'lobby');
    expect(await lines(carol)).to.deep.equal(['posted before bob came', 'hello bob']);
    await waitMembers(alice, ['alice', 'bob', 'carol']);
    await waitMembers(bob, ['alice', 'bob', 'carol']);
    await carol.context().close();
    await waitMembers(alice, ['alice', 'bob']);
    await waitMembers(bob, ['alice', 'bob']);

    // A request the server answers.
    await bob.click('#roll');
    const answer = await waitText(bob, '#answer', 'rolled');
    expect(answer).to.match(/^bob rolled [1-6] \(d6\)$/);

    // Restart the server on the same port with the same store.
    const port = chat!.port;
    await chat!.close();
    chat = undefined;
    await alice.waitForSelector('#status[data-state="reconnecting"]');
    await bob.waitForSelector('#status[data-state="reconnecting"]');
    expect(await bob.textContent('#status')).to.equal('reconnecting…');

    // Sent while the server is down: waits in alice's offline queue.
    await say(alice, 'sent during the outage');

    chat = await startChat({ port, host: '127.0.0.1', store });
    await alice.waitForSelector('#status[data-state="resumed"]', { timeout: 20_000 });
    await bob.waitForSelector('#status[data-state="resumed"]', { timeout: 20_000 });
    expect(await alice.textContent('#status')).to.equal('connected (session resumed)');
    expect(await bob.textContent('#status')).to.equal('connected (session resumed)');
    // Still in the room, with both members, without joining again.
    expect(await bob.textContent('#room-name')).to.equal('lobby');
    await waitMembers(bob, ['alice', 'bob']);
    await waitMembers(alice, ['alice', 'bob']);

    await say(alice, 'after the restart');
    await waitLine(bob, 'sent during the outage');
    await waitLine(bob, 'after the restart');
    // Bob answers on the new server, and alice sees it: both directions work.
    await say(bob, 'welcome back');
    await waitLine(alice, 'welcome back');

    // Give a duplicate time to arrive, then check every line shows exactly once, in order.
    await new Promise((done) => setTimeout(done, 500));
    const expected = [
      'posted before bob came',
      'hello bob',
      'sent during the outage',
      'after the restart',
      'welcome back',
    ];
    expect(await lines(bob)).to.deep.equal(expected);
    expect(await lines(alice)).to.deep.equal(expected);
    // The page shows a line once even if it arrived twice; resume must not deliver one twice.
    for (const page of [alice, bob]) {
      for (const item of await page.locator('#messages li').all()) {
        const live = Number(await item.getAttribute('data-live'));
        expect(live, `live deliveries of "${await item.textContent()}"`).to.be.at.most(1);
      }
    }
    expect(await members(bob)).to.deep.equal(['alice', 'bob']);

    // Restart again, this time without the sessions (tokens and history kept): neither page can
    // resume, each gets a new session the server knows no room of.
    await chat.close();
    chat = undefined;
    await alice.waitForSelector('#status[data-state="reconnecting"]');
    await bob.waitForSelector('#status[data-state="reconnecting"]');
    // Typed in a new session before the page is back in its room: held, then sent after it joined.
    await say(alice, 'typed while reconnecting');
    await waitText(alice, '#pending', '1 line waiting to be sent');
    // More lines were posted meanwhile than a join answers: the page fetches the rest.
    const missed: ChatLine[] = [];
    for (let i = 0; i < HISTORY_ON_JOIN + 5; i++) {
      missed.push({ id: ++store.lastId, room: 'lobby', user: 'carol', text: `missed ${i}`, at: 0 });
    }
    store.history.get('lobby')!.push(...missed);
    store = { ...store, sessions: new MemorySessionStore() };
    chat = await startChat({ port, host: '127.0.0.1', store });
    await alice.waitForSelector('#status[data-state="connected"]', { timeout: 20_000 });
    await bob.waitForSelector('#status[data-state="connected"]', { timeout: 20_000 });
    expect(await alice.textContent('#status')).to.match(/^connected \(new session: /);
    await waitLine(bob, 'typed while reconnecting');
    await waitLine(alice, 'typed while reconnecting');
    await say(bob, 'a new session works');
    await waitLine(alice, 'a new session works');
    await new Promise((done) => setTimeout(done, 500));
    const afterNewSession = [
      ...expected,
      ...missed.map((line) => line.text),
      'typed while reconnecting',
      'a new session works',
    ];
    expect(await lines(bob)).to.deep.equal(afterNewSession);
    expect(await lines(alice)).to.deep.equal(afterNewSession);
    for (const page of [alice, bob]) {
      for (const item of await page.locator('#messages li').all()) {
        const live = Number(await item.getAttribute('data-live'));
        expect(live, `live deliveries of "${await item.textContent()}"`).to.be.at.most(1);
      }
      expect(await page.getAttribute('#pending', 'data-count')).to.equal('0');
      expect(await text(page, '#chat-error')).to.equal('');
    }
    await waitMembers(bob, ['alice', 'bob']);
    await waitMembers(alice, ['alice', 'bob']);
    // Each line once in the server's history too: nothing posted twice.
    const texts = store.history.get('lobby')!.map((line) => line.text);
    expect(texts).to.deep.equal(afterNewSession);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await bob.screenshot({ path: SCREENSHOT, fullPage: true });
    const { size } = await stat(SCREENSHOT);
    expect(size, 'screenshot size in bytes').to.be.greaterThan(10_000);

    expect(errors, 'errors thrown in the pages').to.deep.equal([]);
  });
});
