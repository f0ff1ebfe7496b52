<?php
/**
 * Plugin Name: Sluice local site (offline)
 * Description: Keeps a local development site quiet without internet: no block directory, no remote patterns, no update checks, no news widgets. Written by scripts/wordpress; do not ship.
 */

// The block directory searches WordPress.org from the inserter.
remove_action( 'enqueue_block_editor_assets', 'wp_enqueue_editor_block_directory_assets' );
remove_action( 'enqueue_block_editor_assets', 'gutenberg_enqueue_block_editor_assets_block_directory' );

// Patterns and theme features from WordPress.org.
add_filter( 'should_load_remote_block_patterns', '__return_false' );

// Update checks: each one would try WordPress.org.
remove_action( 'init', 'wp_schedule_update_checks' );
remove_action( 'admin_init', '_maybe_update_core' );
remove_action( 'admin_init', '_maybe_update_plugins' );
remove_action( 'admin_init', '_maybe_update_themes' );
foreach ( array( 'load-plugins.php', 'load-update.php', 'load-update-core.php' ) as $sluice_hook ) {
	remove_action( $sluice_hook, 'wp_update_plugins' );
}
foreach ( array( 'load-themes.php', 'load-update.php', 'load-update-core.php' ) as $sluice_hook ) {
	remove_action( $sluice_hook, 'wp_update_themes' );
}
add_filter( 'auto_update_plugin', '__return_false' );
add_filter( 'auto_update_theme', '__return_false' );

// Dashboard widgets that fetch news and events.
add_action(
	'wp_dashboard_setup',
	static function () {
		remove_meta_box( 'dashboard_primary', 'dashboard', 'side' );
	}
);

// The router of the built-in server rewrites like Apache's mod_rewrite would.
add_filter( 'got_url_rewrite', '__return_true' );
