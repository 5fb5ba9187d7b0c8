-- Schema of the asterisk database at Wazo 26.08, squashed into one baseline.
--
-- Run by revision 3f1c0e5a9b27 as the owning role: every object below belongs to
-- whoever runs it, so this file holds no GRANT, REVOKE, OWNER TO or SET ROLE.
-- The extensions uuid-ossp, unaccent, pgcrypto and hstore are created beforehand
-- by the superuser (provisioning), not here.

CREATE TYPE extenumbers_type AS ENUM (
    'extenfeatures',
    'featuremap',
    'generalfeatures',
    'group',
    'incall',
    'outcall',
    'queue',
    'user',
    'voicemenu',
    'conference'
);
COMMENT ON TYPE extenumbers_type IS 'What an extension number leads to.';

CREATE TYPE queue_category AS ENUM (
    'group',
    'queue'
);

CREATE FUNCTION userfeatures_default_callerid() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.callerid IS NULL OR NEW.callerid = '' THEN
        NEW.callerid := '"' || trim(NEW.firstname || ' ' || NEW.lastname) || '"';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION userfeatures_default_callerid() IS
    'Derive a user''s caller id from their name when none is given.';

CREATE TABLE infos (
    uuid uuid DEFAULT uuid_generate_v4() NOT NULL,
    wazo_version character varying(64) NOT NULL,
    live_reload_enabled boolean DEFAULT true NOT NULL,
    timezone character varying(128),
    configured boolean DEFAULT false NOT NULL,
    CONSTRAINT infos_pkey PRIMARY KEY (uuid)
);
COMMENT ON TABLE infos IS 'The platform: its uuid and installed version (one row).';
-- At most one row: every row indexes the same constant.
CREATE UNIQUE INDEX infos__idx__singleton ON infos ((true));

CREATE TABLE tenant (
    uuid character varying(36) DEFAULT uuid_generate_v4() NOT NULL,
    slug character varying(10),
    name text,
    country character varying(2),
    CONSTRAINT tenant_pkey PRIMARY KEY (uuid)
);

CREATE TABLE context (
    id serial NOT NULL,
    tenant_uuid character varying(36) NOT NULL,
    name character varying(79) NOT NULL,
    label character varying(128) NOT NULL,
    contexttype character varying(40) DEFAULT 'internal' NOT NULL,
    commented integer DEFAULT 0 NOT NULL,
    description text DEFAULT '' NOT NULL,
    CONSTRAINT context_pkey PRIMARY KEY (id),
    CONSTRAINT context_name_key UNIQUE (name),
    CONSTRAINT context_tenant_uuid_fkey FOREIGN KEY (tenant_uuid)
        REFERENCES tenant (uuid) ON DELETE CASCADE
);
CREATE INDEX context__idx__tenant_uuid ON context (tenant_uuid);

CREATE TABLE extensions (
    id serial NOT NULL,
    commented integer DEFAULT 0 NOT NULL,
    context character varying(79) DEFAULT '' NOT NULL,
    exten character varying(40) DEFAULT '' NOT NULL,
    type extenumbers_type NOT NULL,
    typeval character varying(255) DEFAULT '' NOT NULL,
    CONSTRAINT extensions_pkey PRIMARY KEY (id),
    CONSTRAINT extensions_exten_context_key UNIQUE (exten, context)
);
COMMENT ON COLUMN extensions.typeval IS 'Id of the destination, as text, for the given type.';
CREATE INDEX extensions__idx__type_typeval ON extensions (type, typeval);
CREATE INDEX extensions__idx__context ON extensions (context);

CREATE TABLE voicemail (
    uniqueid serial NOT NULL,
    context character varying(79) NOT NULL,
    mailbox character varying(40) DEFAULT '' NOT NULL,
    password character varying(80),
    fullname character varying(80) DEFAULT '' NOT NULL,
    email character varying(80),
    pager character varying(80),
    language character varying(20),
    tz character varying(80),
    attach integer,
    deletevoicemail integer DEFAULT 0 NOT NULL,
    maxmsg integer,
    skipcheckpass integer DEFAULT 0 NOT NULL,
    commented integer DEFAULT 0 NOT NULL,
    CONSTRAINT voicemail_pkey PRIMARY KEY (uniqueid),
    CONSTRAINT voicemail_mailbox_context_key UNIQUE (mailbox, context),
    CONSTRAINT voicemail_context_fkey FOREIGN KEY (context)
        REFERENCES context (name) ON UPDATE CASCADE
);

CREATE TABLE userfeatures (
    id serial NOT NULL,
    uuid character varying(38) DEFAULT uuid_generate_v4() NOT NULL,
    tenant_uuid character varying(36) NOT NULL,
    firstname character varying(128) DEFAULT '' NOT NULL,
    lastname character varying(128) DEFAULT '' NOT NULL,
    email character varying(254),
    callerid character varying(160),
    outcallerid character varying(80) DEFAULT 'default' NOT NULL,
    voicemailid integer,
    language character varying(20),
    ringseconds integer DEFAULT 30 NOT NULL,
    simultcalls integer DEFAULT 5 NOT NULL,
    enablevoicemail integer DEFAULT 0 NOT NULL,
    enablednd integer DEFAULT 0 NOT NULL,
    description text DEFAULT '' NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    mobilephonenumber character varying(128) DEFAULT '' NOT NULL,
    CONSTRAINT userfeatures_pkey PRIMARY KEY (id),
    CONSTRAINT userfeatures_uuid_key UNIQUE (uuid),
    CONSTRAINT userfeatures_ringseconds_check CHECK (ringseconds >= 0),
    CONSTRAINT userfeatures_tenant_uuid_fkey FOREIGN KEY (tenant_uuid)
        REFERENCES tenant (uuid) ON DELETE CASCADE,
    CONSTRAINT userfeatures_voicemailid_fkey FOREIGN KEY (voicemailid)
        REFERENCES voicemail (uniqueid) ON DELETE SET NULL
);
CREATE INDEX userfeatures__idx__tenant_uuid ON userfeatures (tenant_uuid);
CREATE INDEX userfeatures__idx__lastname ON userfeatures (lastname);
CREATE TRIGGER userfeatures_default_callerid_trigger
    BEFORE INSERT ON userfeatures
    FOR EACH ROW EXECUTE FUNCTION userfeatures_default_callerid();

CREATE TABLE linefeatures (
    id serial NOT NULL,
    tenant_uuid character varying(36) NOT NULL,
    name character varying(128) NOT NULL,
    context character varying(79) NOT NULL,
    provisioningid integer NOT NULL,
    num integer DEFAULT 1 NOT NULL,
    caller_id_name character varying(160),
    commented integer DEFAULT 0 NOT NULL,
    description text DEFAULT '' NOT NULL,
    CONSTRAINT linefeatures_pkey PRIMARY KEY (id),
    CONSTRAINT linefeatures_name_key UNIQUE (name),
    CONSTRAINT linefeatures_tenant_uuid_fkey FOREIGN KEY (tenant_uuid)
        REFERENCES tenant (uuid) ON DELETE CASCADE,
    CONSTRAINT linefeatures_context_fkey FOREIGN KEY (context)
        REFERENCES context (name) ON UPDATE CASCADE
);
COMMENT ON COLUMN linefeatures.num IS 'Position of the line on the device.';
CREATE INDEX linefeatures__idx__context ON linefeatures (context);

CREATE TABLE user_line (
    user_id integer NOT NULL,
    line_id integer NOT NULL,
    main_user boolean NOT NULL,
    main_line boolean NOT NULL,
    CONSTRAINT user_line_pkey PRIMARY KEY (user_id, line_id),
    CONSTRAINT user_line_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES userfeatures (id) ON DELETE CASCADE,
    CONSTRAINT user_line_line_id_fkey FOREIGN KEY (line_id)
        REFERENCES linefeatures (id) ON DELETE CASCADE
);
CREATE INDEX user_line__idx__line_id ON user_line (line_id);

CREATE TABLE groupfeatures (
    id serial NOT NULL,
    uuid uuid DEFAULT uuid_generate_v4() NOT NULL,
    tenant_uuid character varying(36) NOT NULL,
    name character varying(128) NOT NULL,
    label text NOT NULL,
    transfer_user integer DEFAULT 0 NOT NULL,
    transfer_call integer DEFAULT 0 NOT NULL,
    write_caller integer DEFAULT 0 NOT NULL,
    write_calling integer DEFAULT 0 NOT NULL,
    timeout integer,
    deleted integer DEFAULT 0 NOT NULL,
    CONSTRAINT groupfeatures_pkey PRIMARY KEY (id),
    CONSTRAINT groupfeatures_name_key UNIQUE (name),
    CONSTRAINT groupfeatures_uuid_key UNIQUE (uuid),
    CONSTRAINT groupfeatures_tenant_uuid_fkey FOREIGN KEY (tenant_uuid)
        REFERENCES tenant (uuid) ON DELETE CASCADE
);

CREATE TABLE queue (
    name character varying(128) NOT NULL,
    musicclass character varying(128),
    announce character varying(128),
    context character varying(79),
    timeout integer DEFAULT 0,
    strategy character varying(11) DEFAULT 'ringall' NOT NULL,
    maxlen integer DEFAULT 0 NOT NULL,
    weight integer DEFAULT 0 NOT NULL,
    category queue_category NOT NULL,
    commented integer DEFAULT 0 NOT NULL,
    CONSTRAINT queue_pkey PRIMARY KEY (name)
);
CREATE INDEX queue__idx__category ON queue (category);

CREATE TABLE incall (
    id serial NOT NULL,
    tenant_uuid character varying(36) NOT NULL,
    preprocess_subroutine character varying(79),
    greeting_sound text,
    commented integer DEFAULT 0 NOT NULL,
    description text DEFAULT '' NOT NULL,
    CONSTRAINT incall_pkey PRIMARY KEY (id),
    CONSTRAINT incall_tenant_uuid_fkey FOREIGN KEY (tenant_uuid)
        REFERENCES tenant (uuid) ON DELETE CASCADE
);

CREATE TABLE func_key_type (
    id serial NOT NULL,
    name character varying(128) NOT NULL,
    CONSTRAINT func_key_type_pkey PRIMARY KEY (id),
    CONSTRAINT func_key_type_name_key UNIQUE (name)
);

CREATE TABLE func_key_destination_type (
    id serial NOT NULL,
    name character varying(128) NOT NULL,
    CONSTRAINT func_key_destination_type_pkey PRIMARY KEY (id),
    CONSTRAINT func_key_destination_type_name_key UNIQUE (name)
);

CREATE TABLE func_key (
    id serial NOT NULL,
    type_id integer NOT NULL,
    destination_type_id integer NOT NULL,
    CONSTRAINT func_key_pkey PRIMARY KEY (id, destination_type_id),
    CONSTRAINT func_key_type_id_fkey FOREIGN KEY (type_id)
        REFERENCES func_key_type (id),
    CONSTRAINT func_key_destination_type_id_fkey FOREIGN KEY (destination_type_id)
        REFERENCES func_key_destination_type (id)
);

CREATE TABLE func_key_dest_user (
    func_key_id integer NOT NULL,
    user_id integer NOT NULL,
    destination_type_id integer DEFAULT 1 NOT NULL,
    CONSTRAINT func_key_dest_user_pkey PRIMARY KEY (func_key_id, user_id),
    CONSTRAINT func_key_dest_user_destination_type_id_check CHECK (destination_type_id = 1),
    CONSTRAINT func_key_dest_user_func_key_id_fkey FOREIGN KEY (func_key_id, destination_type_id)
        REFERENCES func_key (id, destination_type_id),
    CONSTRAINT func_key_dest_user_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES userfeatures (id) ON DELETE CASCADE
);
CREATE INDEX func_key_dest_user__idx__user_id ON func_key_dest_user (user_id);

INSERT INTO func_key_type (id, name) VALUES (1, 'speeddial');
SELECT setval('func_key_type_id_seq', 1);

INSERT INTO func_key_destination_type (id, name) VALUES
    (1, 'user'),
    (2, 'group'),
    (3, 'queue'),
    (4, 'conference'),
    (5, 'service'),
    (6, 'forward');
SELECT setval('func_key_destination_type_id_seq', 6);

INSERT INTO infos (wazo_version) VALUES ('26.08');
