// The end-to-end scenario through the bundled broker with its default, durable level persistence.
import { silentLogger } from '../contract/index.ts';
import { loadBrokerConfig } from '../broker/config.ts';
import { startBroker } from '../broker/start-broker.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { describeEndToEnd } from './scenarios/end-to-end.ts';

describeEndToEnd('the bundled broker (Aedes + level)', async () => {
  const data = await makeTempDir('bonker-broker-');
  const broker = await startBroker(
    loadBrokerConfig({
      BONKER_BROKER_PORT: '0',
      BONKER_BROKER_WS_PORT: 'off',
      BONKER_BROKER_HTTP_PORT: 'off',
      BONKER_DATA_DIR: data.path,
    }),
    silentLogger,
  );
  return {
    url: `mqtt://127.0.0.1:${broker.mqttPort}`,
    async close() {
      await broker.close();
      await data.remove();
    },
  };
});
