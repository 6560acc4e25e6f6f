import { expect } from '../assert.js';
import type { TopicPresenceEvent, UserPresenceEvent } from '../../src/index.js';
import { delay, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { inbox, usersInOrder } from './layer-helpers.js';

/**
 * Registers the layer contract's tests of users and presence on one server (a cluster of one):
 * `sendToUser`, and `server.cluster`'s events and questions as clients join, leave and go.
 */
export function describePresenceTests(h: LayerHarness): void {
  h.group('users and presence', () => {
    h.test(
      {
        id: 'L-USER-01',
        level: 'MUST',
        title:
          'sendToUser(user) reaches every client of that principal id, once each, and no other client; it returns how many it was handed to',
      },
      async () => {
        const { server, url } = await h.server({
          authorization: usersInOrder('ann', 'bob', 'bob'),
        });
        const ann = await h.connected(url);
        const bob1 = await h.connected(url);
        const bob2 = await h.connected(url);
        const [gAnn, gBob1, gBob2] = [ann, bob1, bob2].map((c) => inbox(c, 'note'));
        const sent = server.sendToUser('bob', { type: 'note', payload: { n: 1 } });
        expect(sent, 'sendToUser("bob") with two bob clients connected').to.equal(2);
        await waitFor(
          () => gBob1.length >= 1 && gBob2.length >= 1,
          h.wait,
          'the note at both of bob’s clients',
        );
        await delay(h.quiet);
        expect(gBob1, 'notes at bob’s first client').to.deep.equal([
          { type: 'note', payload: { n: 1 } },
        ]);
        expect(gBob2, 'notes at bob’s second client').to.deep.equal([
          { type: 'note', payload: { n: 1 } },
        ]);
        expect(gAnn, 'notes at ann’s client').to.deep.equal([]);
        expect(
          server.sendToUser('nobody', { type: 'note', payload: 2 }),
          'sendToUser of an unknown user',
        ).to.equal(0);
      },
    );

    h.test(
      {
        id: 'L-USER-02',
        level: 'MUST',
        title:
          'server.cluster tells presence: online at a user’s first client and offline at its last, join and leave for topics, and answers who is online and in which topic',
      },
      async () => {
        const { server, url } = await h.server({
          authorization: usersInOrder('bob', 'bob'),
        });
        const users: [string, UserPresenceEvent][] = [];
        const topics: [string, TopicPresenceEvent][] = [];
        server.cluster.on('online', (e) => void users.push(['online', e]));
        server.cluster.on('offline', (e) => void users.push(['offline', e]));
        server.cluster.on('join', (e) => void topics.push(['join', e]));
        server.cluster.on('leave', (e) => void topics.push(['leave', e]));
        const node = server.cluster.nodeId;

        const bob1 = await h.connected(url);
        const bob2 = await h.connected(url);
        await withTimeout(bob1.join('room'), h.wait, 'bob1.join("room")');
        await waitFor(() => topics.length >= 1, h.wait, 'the join event');
        expect(users, 'user events after two clients of bob were admitted').to.deep.equal([
          ['online', { user: 'bob', clientId: bob1.id, node }],
        ]);
        expect(topics, 'topic events after bob1 joined "room"').to.deep.equal([
          ['join', { topic: 'room', clientId: bob1.id, user: 'bob', node }],
        ]);
        expect(await server.cluster.isOnline('bob'), 'isOnline("bob")').to.equal(true);
        const members = await server.cluster.getSubscribers('room');
        expect(
          members.map((c) => c.id),
          'getSubscribers("room")',
        ).to.deep.equal([bob1.id]);
        expect(await server.cluster.getTopicSize('room'), 'getTopicSize("room")').to.equal(1);
        const everyone = (await server.cluster.getClients()).map((c) => c.id).sort();
        expect(everyone, 'getClients()').to.deep.equal([bob1.id, bob2.id].sort());

        await withTimeout(bob1.leave('room'), h.wait, 'bob1.leave("room")');
        await waitFor(() => topics.length >= 2, h.wait, 'the leave event');
        expect(topics[1], 'the topic event after bob1 left "room"').to.deep.equal([
          'leave',
          { topic: 'room', clientId: bob1.id, user: 'bob', node },
        ]);

        const [id1, id2] = [bob1.id!, bob2.id!];
        await withTimeout(bob1.disconnect(), h.wait, 'bob1.disconnect()');
        await waitFor(() => server.getClient(id1) === undefined, h.wait, 'bob1 gone');
        await delay(h.quiet);
        expect(users, 'user events while bob still has a client').to.have.length(1);
        await withTimeout(bob2.disconnect(), h.wait, 'bob2.disconnect()');
        await waitFor(() => users.length >= 2, h.wait, 'the offline event');
        expect(users[1], 'the user event when bob’s last client went').to.deep.equal([
          'offline',
          { user: 'bob', clientId: id2, node },
        ]);
        expect(await server.cluster.isOnline('bob'), 'isOnline("bob") with no client').to.equal(
          false,
        );
      },
    );
  });
}
