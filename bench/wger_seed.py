"""wger 2.1's data for `bench/wger.py`, run by wger's own interpreter (its venv, not kneehab's):

    DJANGO_SETTINGS_MODULE=settings PYTHONPATH=DATA  WGER_VENV/bin/python bench/wger_seed.py DAYS

Brings up the schema (`migrate`), loads the fixtures wger ships in its package (what its
`wger load-fixtures` loads: languages, units, days of the week, muscles …; never the online
ones, `load-online-fixtures` downloads), one exercise (below: why), then one person with a DRF token and a workout as wger 2.1
models it (workout → day on every weekday → set of 3 → one setting: one exercise, 10 reps at 20 kg),
and `DAYS` days of history ending yesterday (a session and 3 logged sets a day). Prints what
bench/wger.py needs as one JSON line. Nothing of wger's is copied here: it is driven through its models.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

import django

FIXTURES = [  # wger.tasks.load_fixtures, in its order
    "gym.json", "languages.json", "groups.json", "users.json", "licenses.json",
    "days_of_week.json", "setting_repetition_units.json", "setting_weight_units.json",
    "language_config.json", "gym_config.json", "equipment.json", "muscles.json",
    "categories.json", "gym-config.json", "gym-adminconfig.json",
]  # fmt: skip
# wger 2.1's exercise-base-data.json and exercises.json still carry a `status` field its models
# dropped (loaddata fails on them), so the one exercise is made here, in English.


def main(days: int) -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from wger.core.models import DaysOfWeek, Language
    from wger.exercises.models import Exercise, ExerciseBase, ExerciseCategory
    from wger.manager.models import Day, Set, Setting, Workout, WorkoutLog, WorkoutSession

    call_command("migrate", verbosity=0, interactive=False)
    if not User.objects.filter(username="bench").exists():
        for name in FIXTURES:
            call_command("loaddata", name, verbosity=0)
        user = User.objects.create_user("bench", "bench@example.invalid", "bench-password")
        base = ExerciseBase.objects.create(category=ExerciseCategory.objects.get(name="Legs"))
        Exercise.objects.create(
            exercise_base=base,
            name="Squats",
            description="<p>Sit back, stand up.</p>",
            language=Language.objects.get(short_name="en"),
        )
        workout = Workout.objects.create(user=user, name="Knee plan")
        day = Day.objects.create(training=workout, description="Every day")
        day.day.set(DaysOfWeek.objects.all())
        one = Set.objects.create(exerciseday=day, sets=3, order=1)
        Setting.objects.create(
            set=one, exercise_base=base, repetition_unit_id=1, reps=10, weight=20, weight_unit_id=1,
            rir="2", order=1,
        )  # fmt: skip
        today = date.today()
        for back in range(days, 0, -1):
            when = today - timedelta(days=back)
            WorkoutSession.objects.create(user=user, workout=workout, date=when, impression="2")
            for _ in range(3):
                WorkoutLog.objects.create(
                    user=user, exercise_base=base, workout=workout, reps=10, weight=20,
                    date=when, rir="2",
                )  # fmt: skip
    user = User.objects.get(username="bench")
    workout = Workout.objects.filter(user=user).order_by("id").first()
    base_id = Setting.objects.filter(set__exerciseday__training=workout).first().exercise_base_id
    token, _ = Token.objects.get_or_create(user=user)
    print(json.dumps({
        "token": token.key, "workout": workout.id, "exercise_base": base_id,
        "logs": WorkoutLog.objects.filter(user=user).count(),
        "sessions": WorkoutSession.objects.filter(user=user).count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
