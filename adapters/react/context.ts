// The React context that carries a `SocketClient`, its provider, and the hook that reads it.
import {
  createContext,
  createElement,
  useContext,
  useEffect,
  type ReactElement,
  type ReactNode,
} from 'react';
import type { AnySchema, Schema, SocketClient } from '../../src/index.js';
import { useLatest } from './latest.js';

/** @internal The context value: the client, erased to the default schema. */
export const PlugSocketContext = createContext<SocketClient | null>(null);
PlugSocketContext.displayName = 'PlugSocketContext';

/** Disconnects that a provider's unmount scheduled; a remount of the same client cancels them. */
const pendingDisconnects = new WeakMap<SocketClient, ReturnType<typeof setTimeout>>();

/** How many mounted providers hold each client: a disconnect happens only when none is left. */
const mounted = new WeakMap<SocketClient, number>();

/** Props of {@link PlugSocketProvider}. */
export interface PlugSocketProviderProps<S extends Schema = AnySchema> {
  /**
   * The client the hooks below this provider use. Make it once, outside the component tree (or in
   * a `useState` initialiser): a new client on every render would reconnect on every render.
   */
  readonly client: SocketClient<S>;
  /** The tree that uses the client. */
  readonly children?: ReactNode;
  /**
   * Connect on mount: when `true` and the client is `idle` (never connected) or `closed`, the
   * provider calls `client.connect()`. With `false` the application connects when it likes.
   * @default true
   */
  readonly connect?: boolean;
  /**
   * Disconnect when the provider unmounts (or is given another client). Off by default: the
   * client usually lives as long as the page, and a provider that remounts (a route change,
   * StrictMode's double mount) should not drop the connection. When on, the disconnect waits for
   * the next macrotask and is cancelled if a provider mounts the same client again meanwhile, so
   * StrictMode's simulated unmount does not close it; and it does not happen while another
   * mounted provider still holds the same client (the last one to unmount disconnects it only
   * if it has `disconnectOnUnmount` itself).
   * @default false
   */
  readonly disconnectOnUnmount?: boolean;
  /**
   * Called when the connect the provider started fails (`CONNECTION_FAILED`,
   * `AUTHENTICATION_FAILED`, `UNAUTHORIZED`, …). The failure also shows as the `closed` state in
   * {@link useConnectionState}. By default it is ignored.
   */
  readonly onConnectError?: (error: unknown) => void;
}

/**
 * Makes a `SocketClient` available to the hooks of `plugsocket/react` below it, and by default
 * connects it on mount.
 *
 * @typeParam S the client's {@link Schema}.
 *
 * @example
 * ```tsx
 * const client = new SocketClient(new BrowserSocket(), { url: 'wss://example.com/socket' });
 * createRoot(root).render(
 *   <PlugSocketProvider client={client}>
 *     <App />
 *   </PlugSocketProvider>,
 * );
 * ```
 */
export function PlugSocketProvider<S extends Schema = AnySchema>(
  props: PlugSocketProviderProps<S>,
): ReactElement {
  const { children, connect = true, disconnectOnUnmount = false, onConnectError } = props;
  const client = props.client as unknown as SocketClient;
  // A new callback each render is not a reason to connect again: the effect reads the latest.
  const onError = useLatest(onConnectError);
  useEffect(() => {
    mounted.set(client, (mounted.get(client) ?? 0) + 1);
    const pending = pendingDisconnects.get(client);
    if (pending !== undefined) {
      clearTimeout(pending);
      pendingDisconnects.delete(client);
    }
    if (connect && (client.state === 'idle' || client.state === 'closed')) {
      client.connect().catch((error: unknown) => onError.current?.(error));
    }
    return () => {
      const left = (mounted.get(client) ?? 1) - 1;
      if (left > 0) mounted.set(client, left);
      else mounted.delete(client);
      if (!disconnectOnUnmount || pendingDisconnects.has(client)) return;
      pendingDisconnects.set(
        client,
        setTimeout(() => {
          pendingDisconnects.delete(client);
          // Another provider still gives this client to its tree: it stays connected.
          if ((mounted.get(client) ?? 0) === 0) client.disconnect().catch(() => undefined);
        }, 0),
      );
    };
  }, [client, connect, disconnectOnUnmount, onError]);
  return createElement(PlugSocketContext.Provider, { value: client }, children);
}

/**
 * The `SocketClient` of the nearest {@link PlugSocketProvider}.
 *
 * @typeParam S the client's {@link Schema} (not checked: it is what you say the provider holds;
 *   {@link createPlugSocketHooks} binds it once for a whole app).
 * @throws {Error} when called outside a `PlugSocketProvider`.
 */
export function usePlugSocket<S extends Schema = AnySchema>(): SocketClient<S> {
  const client = useContext(PlugSocketContext);
  if (client === null) {
    throw new Error(
      'usePlugSocket() (and every plugsocket/react hook) must be called inside a <PlugSocketProvider client={…}>',
    );
  }
  return client;
}
