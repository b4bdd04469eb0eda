// Settings of the CLI's own MQTT client (bonk, status, watch): it connects as the admin role.
import * as z from 'zod';
import { DEFAULT_TOPIC_PREFIX, describeSettings, envValue, parseEnv, topicPrefixSchema, type Env } from '../contract/index.ts';

export const clientEnvShape = describeSettings({
  BONKER_BROKER_URL: envValue.mqttUrl('mqtt://127.0.0.1:1883'),
  BONKER_MQTT_USERNAME: z.string().optional(),
  BONKER_MQTT_PASSWORD: z.string().optional(),
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
}, {
  BONKER_BROKER_URL: 'where the broker is (mqtt://, mqtts://, ws://, wss://)',
  BONKER_MQTT_USERNAME: "the CLI's broker user (role admin)",
  BONKER_MQTT_PASSWORD: 'password of BONKER_MQTT_USERNAME',
  BONKER_TOPIC_PREFIX: 'first topic level(s), e.g. home/bonker',
});

export type ClientConfig = ReturnType<typeof loadClientConfig>;

export function loadClientConfig(env: Env) {
  return parseEnv(clientEnvShape, env);
}
