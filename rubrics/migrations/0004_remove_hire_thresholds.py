# Format 2, step 3 of 3: the absolute hire thresholds give way to the signal bands (0002),
# once 0003 has recomputed the content hashes from them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("rubrics", "0003_format2_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='rubric',
            name='hire_min',
        ),
        migrations.RemoveField(
            model_name='rubric',
            name='lean_hire_min',
        ),
        migrations.RemoveField(
            model_name='rubric',
            name='no_hire_min',
        ),
        migrations.RemoveField(
            model_name='rubric',
            name='strong_hire_min',
        ),
    ]
