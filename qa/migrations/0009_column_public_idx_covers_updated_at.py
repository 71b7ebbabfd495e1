"""
The public lists' index ends with updated_at, so their change stamp (the newest change and the
count of published columns) is an index-only scan: since the search document lives in the row,
reading 5,000 rows for it cost 4 ms a request.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('qa', '0008_drop_body_search_gin'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='column',
            name='qa_column_public_idx',
        ),
        migrations.AddIndex(
            model_name='column',
            index=models.Index(fields=['status', '-published_at', 'updated_at'], name='qa_column_public_idx'),
        ),
    ]
