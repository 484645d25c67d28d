//! The tables, as diesel sees them. Written by hand to match both dialects in migrations/;
//! only types that both backends share (Text, BigInt, Double, Bool, Timestamp).

diesel::table! {
    districts (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    streets (id) {
        id -> Text,
        district_id -> Text,
        code -> Text,
        name -> Text,
        boundary -> Nullable<Text>,
        min_lng -> Nullable<Double>,
        min_lat -> Nullable<Double>,
        max_lng -> Nullable<Double>,
        max_lat -> Nullable<Double>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    communities (id) {
        id -> Text,
        street_id -> Text,
        code -> Text,
        name -> Text,
        boundary -> Text,
        min_lng -> Double,
        min_lat -> Double,
        max_lng -> Double,
        max_lat -> Double,
        area_m2 -> Double,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    departments (id) {
        id -> Text,
        district_id -> Text,
        code -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        phone -> Nullable<Text>,
        webhook_url -> Nullable<Text>,
        webhook_secret -> Nullable<Text>,
        kind -> Text,
        street_id -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Nullable<Text>,
        display_name -> Text,
        phone -> Nullable<Text>,
        role -> Text,
        scope_id -> Nullable<Text>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        wechat_openid -> Nullable<Text>,
        wechat_unionid -> Nullable<Text>,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        token_epoch -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        changes -> Text,
        district_id -> Nullable<Text>,
        street_id -> Nullable<Text>,
        community_id -> Nullable<Text>,
    }
}

diesel::table! {
    cells (id) {
        id -> Text,
        community_id -> Text,
        code -> Text,
        name -> Text,
        boundary -> Text,
        min_lng -> Double,
        min_lat -> Double,
        max_lng -> Double,
        max_lat -> Double,
        area_m2 -> Double,
        households -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        sync_ms -> BigInt,
        layer -> Text,
        parent_id -> Nullable<Text>,
    }
}

diesel::table! {
    grid_state (id) {
        id -> Integer,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        cell_id -> Text,
        user_id -> Text,
        duty -> Text,
        building -> Nullable<Text>,
        note -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scope_changes (id) {
        id -> Text,
        user_id -> Text,
        cell_id -> Text,
        change -> Text,
        at -> Timestamp,
        sync_ms -> BigInt,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        kind -> Text,
        name -> Text,
        default_department -> Nullable<Text>,
        filing_criteria -> Text,
        closing_criteria -> Text,
        time_limits -> Text,
        duplicate_radius_m -> Double,
        duplicate_window_hours -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sync_ms -> BigInt,
        standard_code -> Nullable<Text>,
        clock -> Text,
        on_the_spot -> Bool,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> Text,
        district_id -> Text,
        category_code -> Text,
        street_id -> Nullable<Text>,
        department_id -> Text,
        priority -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        district_id -> Nullable<Text>,
        street_id -> Nullable<Text>,
        community_id -> Nullable<Text>,
        cell_id -> Nullable<Text>,
        source -> Text,
        category_code -> Text,
        title -> Text,
        description -> Text,
        lng -> Double,
        lat -> Double,
        address -> Nullable<Text>,
        reporter_id -> Text,
        priority -> Text,
        attachments -> Text,
        reported_at -> Timestamp,
        received_at -> Timestamp,
        status -> Text,
        step_started_at -> Nullable<Timestamp>,
        deadline_at -> Nullable<Timestamp>,
        suspended_from -> Nullable<Text>,
        department_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        routing_rule_id -> Nullable<Text>,
        pending_extension -> Nullable<Text>,
        satisfaction -> Nullable<Integer>,
        merged_into -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
        overdue_at -> Nullable<Timestamp>,
        sync_ms -> BigInt,
        created_ms -> BigInt,
        unit_cell_id -> Nullable<Text>,
        unit_code -> Nullable<Text>,
        shelved_review_at -> Nullable<Timestamp>,
        clock -> Text,
        level -> Text,
    }
}

diesel::table! {
    case_reporters (case_id, user_id) {
        case_id -> Text,
        user_id -> Text,
        via_case -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        note -> Nullable<Text>,
        attachments -> Text,
        lng -> Nullable<Double>,
        lat -> Nullable<Double>,
        data -> Text,
        at -> Timestamp,
        sync_ms -> BigInt,
        result -> Nullable<Text>,
        reason -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        case_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (date) {
        date -> Text,
        kind -> Text,
        name -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient_type -> Text,
        recipient_id -> Text,
        kind -> Text,
        case_id -> Nullable<Text>,
        whistle_id -> Nullable<Text>,
        message -> Text,
        created_at -> Timestamp,
        task_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        event_id -> Text,
        event_type -> Text,
        department_id -> Text,
        district_id -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    whistles (id) {
        id -> Text,
        case_id -> Text,
        district_id -> Text,
        street_id -> Text,
        summoned_by -> Nullable<Text>,
        note -> Nullable<Text>,
        report_in_within_minutes -> Integer,
        deadline_at -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        closed_by -> Nullable<Text>,
    }
}

diesel::table! {
    whistle_departments (whistle_id, department_id) {
        whistle_id -> Text,
        department_id -> Text,
        state -> Text,
        reported_at -> Nullable<Timestamp>,
        lng -> Nullable<Double>,
        lat -> Nullable<Double>,
        distance_m -> Nullable<Double>,
        note -> Nullable<Text>,
        attachments -> Text,
        overdue_at -> Nullable<Timestamp>,
        rating -> Nullable<Integer>,
        rating_note -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    whistle_plans (whistle_id, task_id) {
        whistle_id -> Text,
        task_id -> Text,
    }
}

diesel::table! {
    whistle_requests (id) {
        id -> Text,
        case_id -> Text,
        district_id -> Text,
        street_id -> Text,
        community_id -> Nullable<Text>,
        requested_by -> Nullable<Text>,
        departments -> Text,
        note -> Text,
        status -> Text,
        whistle_id -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sync_clock (id) {
        id -> Integer,
        last_ms -> BigInt,
    }
}

diesel::table! {
    patrols (id) {
        id -> Text,
        user_id -> Text,
        cell_id -> Text,
        started_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        distance_m -> Double,
        track -> Text,
        note -> Text,
        created_ms -> BigInt,
        sync_ms -> BigInt,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        case_id -> Text,
        user_id -> Text,
        sha256 -> Text,
        mime -> Text,
        size -> BigInt,
        created_ms -> BigInt,
        sync_ms -> BigInt,
        event_id -> Nullable<Text>,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        mime -> Text,
        size -> BigInt,
        created_at -> Timestamp,
        uploaded_by -> Nullable<Text>,
    }
}

diesel::table! {
    tombstones (table_name, record_id) {
        table_name -> Text,
        record_id -> Text,
        user_id -> Text,
        sync_ms -> BigInt,
    }
}

diesel::table! {
    sync_quarantine (id) {
        id -> Text,
        user_id -> Text,
        district_id -> Nullable<Text>,
        street_id -> Nullable<Text>,
        community_id -> Nullable<Text>,
        table_name -> Text,
        record_id -> Text,
        raw -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_tallies (case_id, department_id) {
        case_id -> Text,
        department_id -> Text,
        main -> Bool,
        district_id -> Nullable<Text>,
        street_id -> Nullable<Text>,
        community_id -> Nullable<Text>,
        cell_id -> Nullable<Text>,
        unit_cell_id -> Nullable<Text>,
        category_code -> Text,
        major_code -> Text,
        source -> Text,
        reporter_id -> Text,
        day -> Text,
        closed_day -> Nullable<Text>,
        overdue_day -> Nullable<Text>,
        reported -> BigInt,
        filed -> BigInt,
        due_to_close -> BigInt,
        closed -> BigInt,
        closed_on_time -> BigInt,
        self_handled -> BigInt,
        evaluated -> BigInt,
        satisfied -> BigInt,
        overdue -> BigInt,
        dispatched_cases -> BigInt,
        handled_cases -> BigInt,
        dispatched -> BigInt,
        accepted -> BigInt,
        accepted_on_time -> BigInt,
        handled -> BigInt,
        handled_on_time -> BigInt,
        returned -> BigInt,
        reworked -> BigInt,
        file_steps -> BigInt,
        file_minutes -> BigInt,
        dispatch_steps -> BigInt,
        dispatch_minutes -> BigInt,
        accept_minutes -> BigInt,
        handle_minutes -> BigInt,
        verify_steps -> BigInt,
        verify_minutes -> BigInt,
        redone -> BigInt,
        enforced -> BigInt,
        fined -> BigInt,
        detained -> BigInt,
        fines_yuan -> BigInt,
        escalated -> BigInt,
        delegated -> BigInt,
    }
}

diesel::table! {
    tally_state (id) {
        id -> Integer,
        backfilled -> Bool,
    }
}

diesel::table! {
    assessment_schemes (id) {
        id -> Text,
        district_id -> Text,
        effective_from -> Text,
        weights -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digest_minutes (id) {
        id -> Text,
        scope_type -> Text,
        scope_id -> Text,
        month -> Text,
        attendees -> Text,
        findings -> Text,
        decisions -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_parts (case_id, department_id) {
        case_id -> Text,
        department_id -> Text,
        status -> Text,
        step_started_at -> Nullable<Timestamp>,
        deadline_at -> Nullable<Timestamp>,
        overdue_at -> Nullable<Timestamp>,
        late_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<Text>,
        note -> Nullable<Text>,
        dispatched_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(case_parts -> cases (case_id));
diesel::joinable!(case_parts -> departments (department_id));
diesel::joinable!(whistle_departments -> whistles (whistle_id));
diesel::joinable!(whistle_departments -> departments (department_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_reporters -> cases (case_id));
diesel::joinable!(attachments -> cases (case_id));
diesel::joinable!(assignments -> cells (cell_id));
diesel::joinable!(assignments -> users (user_id));
diesel::joinable!(cells -> communities (community_id));
diesel::joinable!(streets -> districts (district_id));
diesel::joinable!(communities -> streets (street_id));
diesel::joinable!(departments -> districts (district_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    residences (id) {
        id -> Text,
        user_id -> Text,
        community_id -> Text,
        building -> Nullable<Text>,
        room -> Nullable<Text>,
        status -> Text,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        community_id -> Text,
        building -> Nullable<Text>,
        title -> Text,
        body -> Text,
        attachments -> Text,
        author_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notice_reads (notice_id, user_id) {
        notice_id -> Text,
        user_id -> Text,
        read_at -> Timestamp,
    }
}

diesel::table! {
    polls (id) {
        id -> Text,
        community_id -> Text,
        question -> Text,
        options -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        author_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    poll_votes (poll_id, user_id) {
        poll_id -> Text,
        user_id -> Text,
        choice -> Integer,
        voted_at -> Timestamp,
    }
}

diesel::table! {
    wechat_messages (id) {
        id -> Text,
        user_id -> Text,
        template -> Text,
        page -> Text,
        data -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    open311_keys (id) {
        id -> Text,
        name -> Text,
        district_id -> Text,
        user_id -> Text,
        key_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        campaign_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        kind -> Text,
        owner_type -> Text,
        owner_id -> Text,
        assigner_type -> Text,
        assigner_id -> Text,
        assigned_by -> Nullable<Text>,
        district_id -> Text,
        street_id -> Nullable<Text>,
        community_id -> Nullable<Text>,
        due_at -> Timestamp,
        target_quantity -> Nullable<BigInt>,
        quantity_done -> BigInt,
        status -> Text,
        overdue_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        verified_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sync_ms -> BigInt,
        created_ms -> BigInt,
    }
}

diesel::table! {
    task_events (id) {
        id -> Text,
        task_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        note -> Nullable<Text>,
        quantity -> Nullable<BigInt>,
        attachments -> Text,
        created_at -> Timestamp,
        sync_ms -> BigInt,
        made_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(task_events -> tasks (task_id));

diesel::table! {
    task_photos (event_id, sha256) {
        event_id -> Text,
        sha256 -> Text,
    }
}

diesel::joinable!(task_photos -> task_events (event_id));

diesel::table! {
    campaigns (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        lead_department_id -> Text,
        status -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        natural_time -> Bool,
        key_dates -> Text,
        watched_categories -> Text,
        targets -> Text,
        review -> Nullable<Text>,
        created_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    campaign_districts (campaign_id, district_id) {
        campaign_id -> Text,
        district_id -> Text,
    }
}

diesel::table! {
    campaign_members (campaign_id, department_id) {
        campaign_id -> Text,
        department_id -> Text,
        role -> Text,
        duty -> Text,
    }
}

diesel::table! {
    campaign_cases (campaign_id, case_id) {
        campaign_id -> Text,
        case_id -> Text,
        linked_at -> Timestamp,
    }
}

diesel::table! {
    campaign_notices (id) {
        id -> Text,
        campaign_id -> Text,
        title -> Text,
        body -> Text,
        author_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaign_notice_receipts (notice_id, department_id) {
        notice_id -> Text,
        department_id -> Text,
        signed_at -> Nullable<Timestamp>,
        signed_by -> Nullable<Text>,
        chased_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(campaign_members -> departments (department_id));
diesel::joinable!(campaign_notice_receipts -> departments (department_id));
diesel::joinable!(campaign_notice_receipts -> campaign_notices (notice_id));
diesel::joinable!(campaign_cases -> cases (case_id));

diesel::table! {
    patrol_plans (id) {
        id -> Text,
        district_id -> Text,
        name -> Text,
        cells -> Text,
        members -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        times_per_day -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    agenda_classes (district_id, code) {
        district_id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    agenda_items (id) {
        id -> Text,
        district_id -> Text,
        street_id -> Text,
        community_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        class -> Text,
        raised_by_type -> Text,
        raised_by_id -> Text,
        needs -> Text,
        case_ids -> Text,
        whistle_ids -> Text,
        proposed_lead_department_id -> Nullable<Text>,
        proposed_because -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agenda_events (id) {
        id -> Text,
        item_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        meeting_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        kind -> Text,
        district_id -> Text,
        street_id -> Nullable<Text>,
        title -> Text,
        host -> Text,
        starts_at -> Timestamp,
        place -> Text,
        departments -> Text,
        people -> Text,
        status -> Text,
        summary -> Nullable<Text>,
        version -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_items (meeting_id, item_id) {
        meeting_id -> Text,
        item_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        meeting_id -> Text,
        item_id -> Text,
        summary -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    milestones (task_id) {
        task_id -> Text,
        decision_id -> Text,
        position -> Integer,
        co_department_ids -> Text,
        deliverable -> Text,
    }
}

diesel::table! {
    consultation_rotations (district_id, month) {
        district_id -> Text,
        month -> Text,
        street_id -> Text,
        meeting_id -> Nullable<Text>,
    }
}

diesel::joinable!(agenda_events -> agenda_items (item_id));
diesel::joinable!(meeting_items -> meetings (meeting_id));
diesel::joinable!(meeting_items -> agenda_items (item_id));
diesel::joinable!(decisions -> meetings (meeting_id));
diesel::joinable!(milestones -> decisions (decision_id));
diesel::joinable!(milestones -> tasks (task_id));
diesel::joinable!(whistle_plans -> tasks (task_id));
diesel::joinable!(whistle_plans -> whistles (whistle_id));

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    streets,
    communities,
    departments,
    users,
    refresh_tokens,
    audit_log,
    cells,
    grid_state,
    assignments,
    scope_changes,
    categories,
    routing_rules,
    cases,
    case_reporters,
    case_events,
    idempotency_keys,
    calendar_days,
    notifications,
    webhook_deliveries,
    whistles,
    whistle_departments,
    case_parts,
    sync_clock,
    patrols,
    attachments,
    blobs,
    tombstones,
    sync_quarantine,
    case_tallies,
    tally_state,
    assessment_schemes,
    digest_minutes,
    residences,
    notices,
    notice_reads,
    polls,
    poll_votes,
    wechat_messages,
    open311_keys,
    tasks,
    task_events,
    task_photos,
    campaigns,
    campaign_districts,
    campaign_members,
    campaign_cases,
    campaign_notices,
    campaign_notice_receipts,
    patrol_plans,
    agenda_classes,
    agenda_items,
    agenda_events,
    meetings,
    meeting_items,
    decisions,
    milestones,
    consultation_rotations,
    whistle_plans,
    whistle_requests,
);
