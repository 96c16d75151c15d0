#!/usr/bin/env bash
# A new user's first commands, run where only the README's first command
# (`pip install .`, no extras) was run: `.ci/run` calls it with that
# environment's `bin` folder. Checks exit codes, files and what is printed.
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
# A new machine: no matplotlib font cache or configuration yet.
export MPLCONFIGDIR="$work/matplotlib-config"
cd "$work"
fail() { echo "user journey: $*" >&2; exit 1; }

"$bin/ktk" train --epochs 1 --activation maxout --output-dir runs/first > out.txt 2> err.txt \
    || fail "ktk train exited $?: $(tail -3 err.txt)"
grep -q "^test accuracy" out.txt || fail "ktk train printed: $(tail -3 out.txt)"
[ ! -s err.txt ] || fail "ktk train wrote to stderr: $(head -3 err.txt)"
for f in config.json model.keras history.csv metrics.json curves.png; do
    [ -s "runs/first/$f" ] || fail "ktk train wrote no $f"
done

# The package's defaults pass its own checks: no warning while training, and
# nothing found in the trained model (its run's batch size from config.json).
"$bin/ktk" train --activation-stats --gradient-stats \
    --verbose 0 --output-dir runs/stats > out.txt 2> err.txt \
    || fail "ktk train --activation-stats --gradient-stats exited $?: $(tail -3 err.txt)"
! grep -q "WARNING" err.txt || fail "ktk train (defaults) warned: $(grep WARNING err.txt)"
[ -s runs/stats/activation_statistics.csv ] || fail "no activation_statistics.csv"
[ -s runs/stats/gradient_statistics.csv ] || fail "no gradient_statistics.csv"
[ -s runs/stats/gradient_curves.png ] || fail "no gradient_curves.png"
"$bin/ktk" diagnose --model-file runs/stats/model.keras --strict --output-dir runs/trained \
    > out.txt 2> err.txt \
    || fail "ktk diagnose --model-file (trained defaults) --strict exited $?: $(tail -3 out.txt err.txt)"
grep -q "^no finding" out.txt || fail "ktk diagnose --model-file printed: $(tail -3 out.txt)"
grep -q '"trained": true' runs/trained/report.json || fail "the trained model was not seen as trained"
ls runs/stats/tensorboard/*/events.out.tfevents.* > /dev/null 2>&1 \
    || ls runs/stats/tensorboard/events.out.tfevents.* > /dev/null 2>&1 \
    || fail "no TensorBoard events"

"$bin/ktk" diagnose --strict --output-dir runs/diagnose > out.txt 2> err.txt \
    || fail "ktk diagnose --strict (defaults) exited $?: $(tail -3 out.txt err.txt)"
grep -q "^no finding" out.txt || fail "ktk diagnose printed: $(tail -3 out.txt)"
python_bin="$bin/python"
"$python_bin" -c "import json, sys; r = json.load(open(sys.argv[1])); \
    assert r['findings'] == [] and r['layers'] and r['initial_loss'] > 0, r" \
    runs/diagnose/report.json || fail "ktk diagnose: bad report.json"
[ -s runs/diagnose/diagnosis.png ] || fail "ktk diagnose wrote no diagnosis.png"

"$bin/ktk" tune --search random --trials 2 --epochs 1 --model mlp --hidden-units 16 \
    --output-dir runs/tune > out.txt 2> err.txt \
    || fail "ktk tune exited $?: $(tail -3 err.txt)"
[ "$(tr -d '\r' < runs/tune/results.csv | grep -c ',completed$')" = 2 ] \
    || fail "ktk tune: $(cat runs/tune/results.csv)"
# A line per finished trial (its number out of the total, the time left).
[ "$(grep -c '^trial [01] ([12]/2): learning_rate=.* -> val_accuracy ' out.txt)" = 2 ] \
    || fail "ktk tune's progress: $(head -3 out.txt)"
quiet() { [ ! -s err.txt ] || fail "$1 wrote to stderr: $(head -3 err.txt)"; }
quiet "ktk tune"
grep -q "learning_rate" runs/tune/best_hyperparameters.json || fail "no best values"

"$bin/ktk" lr-find --model mlp --steps 30 --output-dir runs/lr > out.txt 2> err.txt \
    || fail "ktk lr-find exited $?: $(tail -3 err.txt)"
grep -q "suggested learning rate" out.txt || fail "ktk lr-find printed: $(cat out.txt)"
quiet "ktk lr-find"
[ -s runs/lr/lr_find.png ] || fail "no lr_find.png"

"$bin/ktk" train --epochs 2 --model mlp --hidden-units 16 --schedule one-cycle --lr auto \
    --accumulate 2 --verbose 0 --output-dir runs/onecycle > out.txt 2> err.txt \
    || fail "ktk train --schedule one-cycle --lr auto exited $?: $(tail -3 err.txt)"
grep -q "^--lr auto: the LR range test suggests" out.txt || fail "ktk train --lr auto printed: $(cat out.txt)"
quiet "ktk train --schedule one-cycle"
head -1 runs/onecycle/history.csv | grep -q "learning_rate" || fail "no learning_rate in history.csv"
grep -q '"lr_auto"' runs/onecycle/config.json || fail "--lr auto not recorded in config.json"

"$bin/ktk" optimizer-study --problems ravine,dataset --optimizers sgd,adam --steps 20 \
    --train-steps 20 --lr-test-steps 20 --output-dir runs/opt > out.txt 2> err.txt \
    || fail "ktk optimizer-study exited $?: $(tail -3 err.txt)"
[ "$(head -1 runs/opt/optimizer_study.csv | tr -d '\r')" = "problem,optimizer,step,loss" ] \
    || fail "optimizer_study.csv: $(head -2 runs/opt/optimizer_study.csv)"
[ -s runs/opt/optimizer_study.png ] || fail "no optimizer_study.png"
quiet "ktk optimizer-study"

# Saved models with the package's Maxout and with a OneCycle schedule in their
# optimizer load in a new process after only `import keras_training_kit`.
"$bin/python" -c "
import keras_training_kit, keras
model = keras.saving.load_model('runs/first/model.keras')
assert any(type(layer).__name__ == 'Maxout' for layer in model.layers), model.layers
scheduled = keras.saving.load_model('runs/onecycle/model.keras')
rate = scheduled.optimizer.get_config()['learning_rate']
assert rate['class_name'] == 'OneCycle', rate
print('loaded', len(model.layers), 'layers')
" 2> err.txt > out.txt || fail "loading model.keras: $(tail -3 err.txt)"
echo "user journey passed in $work: $(cat out.txt)"
