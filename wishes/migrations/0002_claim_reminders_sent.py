# Two reminders before a claim's deadline (3 and 1 days) instead of one: a count of those sent.

from django.db import migrations, models


def count_the_reminder_already_sent(apps, schema_editor):
    """A claim reminded under the single reminder has had the first of them."""
    apps.get_model("wishes", "Claim").objects.filter(reminded_at__isnull=False).update(reminders_sent=1)


class Migration(migrations.Migration):

    dependencies = [
        ("wishes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="reminders_sent",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="deadline reminders sent"),
        ),
        migrations.RunPython(count_the_reminder_already_sent, migrations.RunPython.noop),
    ]
