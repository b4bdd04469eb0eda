# The original OOM Bonker, written again from its behaviour as the baseline of the "Pi-class budget" figure
# (bench/fig-pi-budget.ts): a Flask app whose POST /hook swings a servo (gpiozero) to the strike, holds it, swings
# back, lets go of the pin, and answers 200. Off the Pi it runs on gpiozero's mock pins:
#   GPIOZERO_PIN_FACTORY=mock GPIOZERO_MOCK_PIN_CLASS=mockpwmpin python3 bench/original-flask.py
# Debian 12: apt-get install python3-flask python3-gpiozero.
import json
import os
import time

from flask import Flask
from gpiozero import Servo

PORT = int(os.environ.get("PORT", "5000"))
HOLD_S = float(os.environ.get("BONK_SECONDS", "0.5"))

app = Flask(__name__)
servo = Servo(int(os.environ.get("SERVO_GPIO", "18")))
servo.detach()


@app.post("/hook")
def hook():
    servo.max()
    # What the bench times a webhook to, like the simulated servo's "servo pulse" log line of ours.
    print(json.dumps({"msg": "servo pulse", "time": time.time() * 1000}), flush=True)
    time.sleep(HOLD_S)
    servo.mid()
    servo.detach()
    return "bonked\n", 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
