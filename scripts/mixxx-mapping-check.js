// Checks mappings/mixxx/ against the default command set without Mixxx: every default command's
// note has exactly one mapping, every mapping names a function of Voxcue.js, and each function
// writes a Mixxx control when it receives a note-on (the engine object is a stand-in that
// records writes). Run by scripts/standalone-check.sh: `node scripts/mixxx-mapping-check.js`.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const root = path.join(__dirname, "..");
const xml = fs.readFileSync(path.join(root, "mappings/mixxx/Voxcue.midi.xml"), "utf8");
const script = fs.readFileSync(path.join(root, "mappings/mixxx/Voxcue.js"), "utf8");
const toml = fs.readFileSync(path.join(root, "src/default_commands.toml"), "utf8");

/** The default commands' notes: [[id, note]] in file order. */
function defaultNotes() {
    const ids = [...toml.matchAll(/^id = "([^"]+)"/gm)].map((m) => m[1]);
    const notes = [...toml.matchAll(/^action = \{ kind = "note", channel = 1, number = (\d+)/gm)].map((m) => Number(m[1]));
    if (ids.length !== notes.length) { throw new Error(`${ids.length} ids but ${notes.length} channel-1 notes`); }
    return ids.map((id, i) => [id, notes[i]]);
}

/** The mapping's controls: {group, key, status, note}. */
function mappedControls() {
    return [...xml.matchAll(/<control>([\s\S]*?)<\/control>/g)].map((m) => ({
        group: /<group>([^<]+)<\/group>/.exec(m[1])[1],
        key: /<key>([^<]+)<\/key>/.exec(m[1])[1],
        status: Number(/<status>([^<]+)<\/status>/.exec(m[1])[1]),
        note: Number(/<midino>([^<]+)<\/midino>/.exec(m[1])[1]),
    }));
}

/** Loads Voxcue.js with a stand-in `engine` and returns [Voxcue, writes]. */
function loadScript() {
    const values = { loop_enabled: 1, file_bpm: 120, rateRange: 0.08, rate_dir: 1, volume: 0.5 };
    const writes = [];
    const engine = {
        getValue: (group, key) => values[key] ?? 0,
        getParameter: (group, key) => values[key] ?? 0,
        setValue: (group, key, value) => {
            writes.push(`${group},${key}=${value}`);
            if (key === "toggle_recording" && value > 0) { values.status = values.status ? 0 : 2; }
        },
        setParameter: (group, key, value) => writes.push(`${group},${key}~${value}`),
    };
    const context = { engine, Date, Math };
    vm.createContext(context);
    vm.runInContext(`${script}\nthis.Voxcue = Voxcue;`, context);
    context.Voxcue.init("Voxcue", false);
    return [context.Voxcue, writes];
}

const problems = [];
const controls = mappedControls();
const [Voxcue, writes] = loadScript();
for (const [id, note] of defaultNotes()) {
    const found = controls.filter((c) => c.note === note && c.status === 0x90);
    if (found.length !== 1) { problems.push(`${id} (note ${note}): ${found.length} note-on mappings`); continue; }
    const { group, key } = found[0];
    const fn = Voxcue[key.replace(/^Voxcue\./, "")];
    if (!key.startsWith("Voxcue.") || typeof fn !== "function") { problems.push(`${id}: ${key} is not a Voxcue.js function`); continue; }
    const before = writes.length;
    fn(0, note, 127, 0x90, group);
    if (key === "Voxcue.tapTempo") { fn(0, note, 127, 0x90, group); }
    fn(0, note, 0, 0x90, group); // a note-on with velocity 0 is a note-off: must do nothing
    if (writes.length === before) { problems.push(`${id}: ${key} on ${group} wrote no control`); }
    else { console.log(`mixxx: ${id.padEnd(16)} note ${note} -> ${group} ${key}: ${writes.slice(before).join(" ")}`); }
}
if (controls.length !== defaultNotes().length) { problems.push(`${controls.length} mappings for ${defaultNotes().length} commands`); }
if (problems.length > 0) {
    console.error(`mixxx mapping problems:\n  ${problems.join("\n  ")}`);
    process.exit(1);
}
console.log(`mixxx: all ${controls.length} default commands mapped`);
