// Home Assistant MQTT discovery: the bonker appears in HA as a device with a Bonk button and bonk sensors.
// Device-based discovery (one retained config on `<ha>/device/<node id>/config` holding `dev`, `o`, `cmps`), see
// https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload. HA re-reads it on its birth message.
import type { DeviceEvents } from './device-events.ts';
import type { MqttClient } from 'mqtt';
import {
  deviceStateTopic,
  homeAssistantNodeId,
  QOS,
  STATUS_OFFLINE,
  STATUS_ONLINE,
  type DeviceState,
  type Logger,
  type Topics,
} from '../contract/index.ts';
import type { BonkRecord } from './bonk-record.ts';
import type { DeviceConfig } from './config.ts';
// Imported, not read from disk by a path: the agent also runs as a bundle in dist/device/ (build/device.ts).
import packageJson from '../package.json' with { type: 'json' };

const VERSION = packageJson.version;
/** HA's default payload for a button press; the agent reads it as one manual bonk (contract/bonk.ts). */
export const HA_PRESS = 'PRESS';

export interface HomeAssistantTopics {
  nodeId: string;
  config: string;
  state: string;
  /** HA's birth/will topic: `online` means it (re)started and wants the discovery again. */
  birth: string;
}

export function homeAssistantTopics(config: Pick<DeviceConfig, 'topicPrefix' | 'deviceId' | 'homeAssistant'>): HomeAssistantTopics {
  const nodeId = homeAssistantNodeId(config.topicPrefix, config.deviceId);
  const prefix = config.homeAssistant.prefix;
  return {
    nodeId,
    config: `${prefix}/device/${nodeId}/config`,
    state: deviceStateTopic(prefix, nodeId),
    birth: `${prefix}/status`,
  };
}

/**
 * The device-based discovery payload: a button, a total-bonks sensor, a last-pod sensor and a diagnostic servo-driver
 * sensor, all bound to the status.
 */
export function discoveryPayload(config: Pick<DeviceConfig, 'topicPrefix' | 'deviceId' | 'homeAssistant'>, topics: Topics) {
  const ha = homeAssistantTopics(config);
  const id = (name: string) => `${ha.nodeId}_${name}`;
  // The device's retained status is the availability: `offline` is its last will.
  const availability = [
    { topic: topics.status(config.deviceId), payload_available: STATUS_ONLINE, payload_not_available: STATUS_OFFLINE },
  ];
  return {
    dev: { ids: [ha.nodeId], name: `OOM Bonker ${config.deviceId}`, mf: 'OOM Bonker', mdl: 'Tux bonker', sw: VERSION },
    o: { name: 'oom-bonker', sw: VERSION },
    cmps: {
      [id('bonk')]: {
        p: 'button', unique_id: id('bonk'), name: 'Bonk', icon: 'mdi:hammer', availability,
        command_topic: topics.bonk(config.deviceId), payload_press: HA_PRESS, qos: QOS.bonkToDevice, retain: false,
      },
      [id('total')]: {
        p: 'sensor', unique_id: id('total'), name: 'Bonks', icon: 'mdi:counter', availability,
        state_topic: ha.state, value_template: '{{ value_json.total }}', state_class: 'total_increasing',
        unit_of_measurement: 'bonks',
      },
      [id('last_pod')]: {
        p: 'sensor', unique_id: id('last_pod'), name: 'Last bonked pod', icon: 'mdi:kubernetes', availability,
        state_topic: ha.state,
        value_template: "{{ value_json.last.pod if value_json.last and value_json.last.pod else 'none' }}",
        json_attributes_topic: ha.state,
        json_attributes_template: '{{ (value_json.last or {}) | tojson }}',
      },
      // From the device's retained info: a device that only pretends to bonk shows it here.
      [id('driver')]: {
        p: 'sensor', unique_id: id('driver'), name: 'Servo driver', icon: 'mdi:cog', availability,
        entity_category: 'diagnostic', state_topic: topics.info(config.deviceId),
        value_template: "{{ 'simulated (no servo hardware found)' if value_json.servo.fallback else value_json.servo.driver }}",
        json_attributes_topic: topics.info(config.deviceId),
        json_attributes_template: '{{ value_json.servo | tojson }}',
      },
    },
    qos: QOS.status,
  };
}

/** What HA's sensors read: the total and the last strike, without the dashboard's history. */
export function homeAssistantState({ recent: _recent, ...state }: DeviceState): DeviceState {
  return state;
}

/**
 * Wires discovery into the agent: on every connection publish (or, when disabled, clear) the retained config and
 * state and listen for HA's birth; after each save of the bonk record publish the state. Attach before connecting.
 */
export function linkHomeAssistant(deps: {
  client: MqttClient;
  config: DeviceConfig;
  topics: Topics;
  events: DeviceEvents;
  record: BonkRecord;
  logger: Logger;
}): void {
  const { client, config, topics, events, record } = deps;
  const logger = deps.logger.child({ module: 'home-assistant' });
  const ha = homeAssistantTopics(config);
  const enabled = config.homeAssistant.discovery;

  const publish = (topic: string, payload: string, what: string) =>
    client.publishAsync(topic, payload, { qos: QOS.status, retain: true }).catch((error: unknown) => {
      logger.warn({ err: error, topic }, `could not publish the Home Assistant ${what}`);
    });
  const publishState = (state: DeviceState) => publish(ha.state, JSON.stringify(homeAssistantState(state)), 'state');
  const announce = async () => {
    await publish(ha.config, JSON.stringify(discoveryPayload(config, topics)), 'discovery');
    await publishState(record.state());
    events.emit('home-assistant', 'announced');
  };
  const retract = async () => {
    // An empty retained config removes the device from HA [device discovery] and clears the broker's copy.
    await publish(ha.config, '', 'discovery removal');
    await publish(ha.state, '', 'state removal');
    events.emit('home-assistant', 'removed');
  };

  events.on('connected', () => {
    if (!enabled) return void retract();
    void client.subscribeAsync(ha.birth, { qos: 0 }).catch((error: unknown) => {
      logger.warn({ err: error, topic: ha.birth }, 'could not subscribe to Home Assistant status');
    });
    void announce();
  });
  if (!enabled) return;
  client.on('message', (topic, payload) => {
    if (topic === ha.birth && payload.toString() === STATUS_ONLINE) void announce();
  });
  record.onSaved(publishState);
}
