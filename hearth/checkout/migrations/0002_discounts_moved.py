# The discount models moved to the discounts app (see discounts 0001): their tables stay, only
# Django's state forgets them here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0001_initial"),
        ("discounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DiscountRedemption"),
                migrations.DeleteModel(name="DiscountCode"),
                migrations.DeleteModel(name="DiscountAttempt"),
                migrations.DeleteModel(name="DiscountMisuseFlag"),
            ],
            database_operations=[],
        ),
    ]
