<?php
/**
 * Removes everything Sluice stored when the plugin is deleted: its options
 * (settings, secret, the visitor sample of the shared-address check, the last
 * test of direct streaming) and its
 * transients (rate-limit windows, the cached spend status of the admin notice),
 * on every site of a network.
 *
 * @package Sluice
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Deletes the current site's Sluice options and transients.
 */
function sluice_uninstall_site() {
	global $wpdb;

	delete_option( 'sluice_settings' );
	delete_option( 'sluice_secret' );
	delete_option( 'sluice_visitor_sample' );
	delete_option( 'sluice_direct_check' );
	// The Sluice card of Settings → Connectors (WordPress 7.0+) holds only a marker, never the secret.
	delete_option( 'connectors_ai_sluice_api_key' );

	// Rate-limit windows (_transient_sluice_rl_*), the spend status (_transient_sluice_spend_status),
	// and their _transient_timeout_ twins.
	$names = $wpdb->get_col( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- one-off cleanup.
		$wpdb->prepare(
			"SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s",
			$wpdb->esc_like( '_transient_sluice_' ) . '%'
		)
	);
	foreach ( $names as $name ) {
		delete_transient( substr( $name, strlen( '_transient_' ) ) );
	}
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $sluice_site_id ) {
		switch_to_blog( $sluice_site_id );
		sluice_uninstall_site();
		restore_current_blog();
	}
} else {
	sluice_uninstall_site();
}
