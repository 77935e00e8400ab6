#!/usr/bin/python3
"""Summarise a MIDI file with Debian's python3-mido, a parser independent of recur's:

    /usr/bin/python3 scripts/music/mido_summary.py FILE.mid

Prints one JSON object: format, ticks per beat, track count, tempos [[tick, us per beat]],
and the notes [pitch, velocity, start tick, end tick, channel] paired FIFO per channel and pitch.
Exit status 1 with a message on stderr when mido cannot read the file.
"""

import json
import sys

import mido


def main(path):
    try:
        mid = mido.MidiFile(path)
    except Exception as e:  # noqa: BLE001 - any parse failure is the answer
        print(f"mido could not read {path}: {e}", file=sys.stderr)
        return 1
    tempos, notes, open_notes = [], [], {}
    for t, track in enumerate(mid.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append([tick, msg.tempo])
            elif msg.type in ("note_on", "note_off"):
                key = (t, msg.channel, msg.note)
                if msg.type == "note_on" and msg.velocity > 0:
                    open_notes.setdefault(key, []).append((tick, msg.velocity))
                elif open_notes.get(key):
                    start, vel = open_notes[key].pop(0)
                    if tick > start:
                        notes.append([msg.note, vel, start, tick, msg.channel])
    notes.sort(key=lambda n: (n[2], n[0], n[3], n[4]))
    tempos.sort()
    print(json.dumps({"format": mid.type, "ticksPerBeat": mid.ticks_per_beat, "tracks": len(mid.tracks), "tempos": tempos, "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
