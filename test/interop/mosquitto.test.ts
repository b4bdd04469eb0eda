// The end-to-end scenario with Debian's Mosquitto as the broker instead of the bundled Aedes.
import { startMosquitto } from '../helpers/mosquitto.ts';
import { describeEndToEnd } from '../scenarios/end-to-end.ts';

describeEndToEnd('Mosquitto', startMosquitto);
