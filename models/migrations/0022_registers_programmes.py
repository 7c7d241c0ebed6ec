"""The registers as a county keeps them (issue 22, points 1, 2 and 7):

- a person's basic data of GB/T 31000 beyond identity: former names, native place, marital and
  political status, education, religion, occupation, employer (null or empty where unknown);
- the tag vocabulary as data, seeded from resolvers.domain.vocabulary.TAGS as this was written;
- joint-household units (双联户), party service posts (先锋驿站), volunteer activities and hours;
- their default policy lines, added where the roles are in use (as 0011 does).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from gridhub.models.enums import Education, MaritalStatus, Occupation, PoliticalStatus, Religion
from tortoise.fields.base import OnDelete
from tortoise import fields

from ._policy_lines import add_default_lines, remove_default_lines, runner

# resolvers.domain.vocabulary.TAGS when this was written
TAGS = {
    "care/low_income": "低保", "care/extreme_poverty": "特困/五保", "care/disabled": "残疾",
    "care/elderly_alone": "独居老人", "care/left_behind_child": "留守儿童", "care/left_behind_elderly": "留守老人",
    "care/veteran": "退役军人", "care/unemployed": "失业人员", "key/released_prisoner": "刑满释放人员",
    "key/community_correction": "社区矫正对象", "key/mental_disorder": "严重精神障碍患者", "key/drug": "吸毒人员",
    "key/aids_risk": "艾滋病危险人员", "key/key_youth": "重点青少年", "key/petitioner": "重点上访人员",
    "key/dangerous_goods": "危险品从业人员", "role/party_member": "党员", "role/resident_representative": "居民代表",
    "role/volunteer": "志愿者",
}
LINES = (
    ("grid_worker", "person.political_status", "read", "allow"),
    ("grid_worker", "person.religion", "read", "allow"),
    *(("grid_worker", obj, action, "allow") for obj, action in (
        ("joint_unit", "read"), ("joint_unit", "create"), ("joint_unit", "update"), ("joint_unit", "delete"),
        ("service_post", "read"), ("service_post", "create"), ("service_post", "update"),
        ("volunteer_activity", "read"), ("volunteer_activity", "create"), ("volunteer_activity", "update"))),
    *(("community_centre", obj, "read", "allow") for obj in ("joint_unit", "service_post", "volunteer_activity")),
    ("dept.civil_affairs", "volunteer_activity", "read", "allow"),
    ("policy_admin", "vocabulary", "update", "allow"),
    *(("policy_admin", obj, "delegate", "allow")
      for obj in ("vocabulary", "joint_unit", "service_post", "volunteer_activity")),
)


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    # an added column gets no index from tortoise (see 0008)
    await client.execute_script(
        'CREATE INDEX IF NOT EXISTS "idx_household_joint_unit_id" ON "household" ("joint_unit_id");'
        'CREATE INDEX IF NOT EXISTS "idx_person_native_place" ON "person" ("native_place")')
    run = runner(schema_editor)
    for tag, label in TAGS.items():  # the tags persons already carry are all among them
        await run("INSERT INTO vocabulary_tag (tag, label, created_at, updated_at, version) "
                  "SELECT %s, %s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 "
                  "WHERE NOT EXISTS (SELECT 1 FROM vocabulary_tag WHERE tag = %s)", tag, label, tag)
    await add_default_lines(run, LINES)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script('DROP INDEX IF EXISTS "idx_household_joint_unit_id";'
                                'DROP INDEX IF EXISTS "idx_person_native_place"')
    await remove_default_lines(runner(schema_editor), LINES)


class Migration(migrations.Migration):
    dependencies = [('gridhub', '0021_place_tree')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JointHouseholdUnit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('region_path', fields.CharField(db_index=True, max_length=255)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(default='', db_default='', max_length=64)),
                ('head_household', fields.ForeignKeyField('gridhub.Household', source_field='head_household_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'joint_household_unit', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': '双联户: households that look out for each other, led by a head household (联户长户).'},
            bases=['RegionalRow'],
        ),
        ops.CreateModel(
            name='ServicePost',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('region_path', fields.CharField(db_index=True, max_length=255)),
                ('organisation', fields.ForeignKeyField('gridhub.Organisation', source_field='organisation_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('place', fields.ForeignKeyField('gridhub.Place', source_field='place_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('services', fields.CharField(default='', db_default='', max_length=255)),
                ('opening_hours', fields.CharField(default='', db_default='', max_length=64)),
            ],
            options={'table': 'service_post', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': "先锋驿站: a party organisation's service post, open to residents at a place."},
            bases=['RegionalRow'],
        ),
        ops.CreateModel(
            name='VocabularyTag',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('tag', fields.CharField(unique=True, max_length=64)),
                ('label', fields.CharField(max_length=64)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'vocabulary_tag', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'A tag of the vocabulary (resolvers.domain.vocabulary) with its Chinese label, edited by policy'},
            bases=['Row'],
        ),
        ops.CreateModel(
            name='VolunteerActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('region_path', fields.CharField(db_index=True, max_length=255)),
                ('organisation', fields.ForeignKeyField('gridhub.Organisation', source_field='organisation_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=128)),
                ('held_on', fields.DateField(db_index=True)),
                ('place', fields.ForeignKeyField('gridhub.Place', source_field='place_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'volunteer_activity', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'A volunteer activity an organisation held on a day, with who took part and for how long.'},
            bases=['RegionalRow'],
        ),
        ops.CreateModel(
            name='VolunteerHours',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('activity', fields.ForeignKeyField('gridhub.VolunteerActivity', source_field='activity_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('gridhub.Person', source_field='person_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('hours', fields.DecimalField(max_digits=5, decimal_places=1)),
            ],
            options={'table': 'volunteer_hours', 'app': 'gridhub', 'unique_together': (('activity', 'person'),), 'pk_attr': 'id', 'table_description': "One participant's hours in an activity (reached only through the activity)."},
            bases=['Row'],
        ),
        ops.AddField(
            model_name='Household',
            name='joint_unit',
            field=fields.ForeignKeyField('gridhub.JointHouseholdUnit', source_field='joint_unit_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Person',
            name='education',
            field=fields.CharEnumField(null=True, description='DOCTORATE: doctorate\nMASTER: master\nUNDERGRADUATE: undergraduate\nJUNIOR_COLLEGE: junior_college\nSECONDARY_VOCATIONAL: secondary_vocational\nHIGH_SCHOOL: high_school\nJUNIOR_HIGH: junior_high\nPRIMARY: primary\nOTHER: other', enum_type=Education, max_length=24),
        ),
        ops.AddField(
            model_name='Person',
            name='employer',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
        ops.AddField(
            model_name='Person',
            name='former_names',
            field=fields.CharField(default='', db_default='', max_length=255),
        ),
        ops.AddField(
            model_name='Person',
            name='marital_status',
            field=fields.CharEnumField(null=True, description='UNMARRIED: unmarried\nMARRIED: married\nFIRST_MARRIAGE: first_marriage\nREMARRIED: remarried\nREMARRIED_SAME_SPOUSE: remarried_same_spouse\nWIDOWED: widowed\nDIVORCED: divorced\nUNSPECIFIED: unspecified', enum_type=MaritalStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Person',
            name='native_place',
            field=fields.CharField(null=True, db_index=True, max_length=6),
        ),
        ops.AddField(
            model_name='Person',
            name='occupation',
            field=fields.CharEnumField(null=True, description='LEADER: leader\nPROFESSIONAL: professional\nCLERICAL: clerical\nSERVICE: service\nAGRICULTURE: agriculture\nPRODUCTION: production\nMILITARY: military\nOTHER: other', enum_type=Occupation, max_length=24),
        ),
        ops.AddField(
            model_name='Person',
            name='political_status',
            field=fields.CharEnumField(null=True, description='CPC_MEMBER: cpc_member\nCPC_PROBATIONARY_MEMBER: cpc_probationary_member\nCYL_MEMBER: cyl_member\nRCCK_MEMBER: rcck_member\nCDL_MEMBER: cdl_member\nCNDCA_MEMBER: cndca_member\nCAPD_MEMBER: capd_member\nCPWDP_MEMBER: cpwdp_member\nCZGP_MEMBER: czgp_member\nJIUSAN_MEMBER: jiusan_member\nTDSL_MEMBER: tdsl_member\nNON_PARTY: non_party\nMASSES: masses', enum_type=PoliticalStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Person',
            name='religion',
            field=fields.CharEnumField(null=True, description='NONE: none\nBUDDHISM: buddhism\nTIBETAN_BUDDHISM: tibetan_buddhism\nTAOISM: taoism\nISLAM: islam\nCATHOLICISM: catholicism\nPROTESTANTISM: protestantism\nORTHODOXY: orthodoxy\nOTHER: other', enum_type=Religion, max_length=24),
        ),
        ops.RunPython(forward, backward),
    ]
