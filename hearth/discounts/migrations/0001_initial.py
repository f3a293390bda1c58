# The discount models moved from checkout to discounts (issue #12 item 4: checkout -> orders ->
# discounts runs one way). Their tables stay as they are: this migration only adopts them in
# Django's state, and moves their content types (and so staff permissions) to the new app label.

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models

MOVED = ("discountcode", "discountredemption", "discountattempt", "discountmisuseflag")


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="discounts", model=model).exists():
            ContentType.objects.filter(app_label="checkout", model=model).update(
                app_label="discounts"
            )


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="checkout", model=model).exists():
            ContentType.objects.filter(app_label="discounts", model=model).update(
                app_label="checkout"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("checkout", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DiscountCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(help_text='Upper case.', max_length=40, unique=True, verbose_name='code')),
                        ('kind', models.CharField(choices=[('percent', 'percent off'), ('fixed', 'fixed amount off')], max_length=10, verbose_name='kind')),
                        ('value', models.DecimalField(decimal_places=2, help_text='Percent (e.g. 10.00) or dollars before tax (e.g. 25.00).', max_digits=10, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='value')),
                        ('min_spend', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=10, verbose_name='minimum spend before tax')),
                        ('valid_from', models.DateTimeField(verbose_name='valid from')),
                        ('valid_until', models.DateTimeField(blank=True, null=True, verbose_name='valid until')),
                        ('max_uses', models.PositiveIntegerField(blank=True, null=True, verbose_name='most uses in all')),
                        ('max_uses_per_customer', models.PositiveIntegerField(blank=True, null=True, verbose_name='most uses per customer')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ],
                    options={
                        'db_table': 'checkout_discountcode',
                        'verbose_name': 'discount code',
                        'verbose_name_plural': 'discount codes',
                        'ordering': ('code',),
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('kind', 'percent'), _negated=True), ('value__lte', 100), _connector='OR'), name='checkout_discount_percent_at_most_100')],
                    },
                ),
                migrations.CreateModel(
                    name='DiscountRedemption',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order_number', models.CharField(blank=True, max_length=20, verbose_name='order number')),
                        ('email_hash', models.CharField(max_length=64, verbose_name='customer (keyed hash of the email)')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='amount')),
                        ('at', models.DateTimeField(verbose_name='at')),
                        ('code', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='redemptions', to='discounts.discountcode', verbose_name='code')),
                    ],
                    options={
                        'db_table': 'checkout_discountredemption',
                        'verbose_name': 'discount redemption',
                        'verbose_name_plural': 'discount redemptions',
                        'ordering': ('-at',),
                        'indexes': [models.Index(fields=['code', 'email_hash'], name='checkout_di_code_id_8e497a_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='DiscountAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('shopper', models.CharField(db_index=True, max_length=64, verbose_name='shopper (keyed hash)')),
                        ('code_tried', models.CharField(max_length=40, verbose_name='code tried')),
                        ('reason', models.CharField(max_length=40, verbose_name='reason')),
                        ('at', models.DateTimeField(verbose_name='at')),
                    ],
                    options={
                        'db_table': 'checkout_discountattempt',
                        'verbose_name': 'invalid discount attempt',
                        'verbose_name_plural': 'invalid discount attempts',
                        'ordering': ('-at',),
                    },
                ),
                migrations.CreateModel(
                    name='DiscountMisuseFlag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('shopper', models.CharField(max_length=64, verbose_name='shopper (keyed hash)')),
                        ('email_hash', models.CharField(blank=True, max_length=64, verbose_name='customer (keyed hash of the email)')),
                        ('attempts', models.PositiveIntegerField(verbose_name='invalid attempts')),
                        ('codes_tried', models.TextField(blank=True, verbose_name='codes tried')),
                        ('flagged_at', models.DateTimeField(verbose_name='flagged at')),
                        ('reviewed', models.BooleanField(default=False, verbose_name='reviewed')),
                    ],
                    options={
                        'db_table': 'checkout_discountmisuseflag',
                        'verbose_name': 'discount misuse flag',
                        'verbose_name_plural': 'discount misuse flags',
                        'ordering': ('-flagged_at',),
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
